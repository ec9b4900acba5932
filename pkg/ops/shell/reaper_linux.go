package shell

import (
	"bufio"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// watchdogArg marks a re-execution of the current binary as the watchdog:
// os.Args[1] == watchdogArg.
const watchdogArg = "__arsenal-run-watchdog"

// reaper makes a shell step's processes die with arsenal-run, however it
// dies, kill -9 included. Two mechanisms share the work:
//
//   - The step's first process gets Pdeathsig SIGKILL, so the kernel kills
//     it when the thread that started it ends. run locks that thread for
//     as long as the process lives, so the signal comes only when
//     arsenal-run itself is gone.
//   - Pdeathsig reaches only that one process, not the children it forked
//     (sh -c 'sleep 300; echo'). So a watchdog, this binary re-executed
//     once per arsenal-run process, reads the process groups (and sandbox
//     cgroups) of running steps from a pipe. When the pipe reaches end of
//     file, because every copy of its write end closed as arsenal-run
//     exited, it kills whatever is left in them and exits.
//
// The watchdog is started on the first shell step, only in a program that
// called MaybeRunSandboxHelper (it re-executes the binary). It lives in its
// own process group, so a terminal's Ctrl-C does not reach it, and holds
// none of arsenal-run's output streams.
type reaper struct {
	once sync.Once
	mu   sync.Mutex
	w    *os.File // the pipe to the watchdog; nil without one
}

// theReaper belongs to the process, like the processes it watches over.
var theReaper reaper

// watchGroup registers the process group pgid until forgetGroup.
func (r *reaper) watchGroup(pgid int) { r.send("+g " + strconv.Itoa(pgid)) }

// forgetGroup unregisters pgid once nothing in it can run any more.
func (r *reaper) forgetGroup(pgid int) { r.send("-g " + strconv.Itoa(pgid)) }

// watchCgroup registers a sandbox cgroup directory until forgetCgroup.
func (r *reaper) watchCgroup(dir string) { r.send("+c " + dir) }

// forgetCgroup unregisters a sandbox cgroup directory.
func (r *reaper) forgetCgroup(dir string) { r.send("-c " + dir) }

func (r *reaper) send(line string) {
	r.once.Do(r.start)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil || strings.ContainsAny(line, "\n\x00") {
		return
	}
	// One line is far below PIPE_BUF, so each write is atomic. A watchdog
	// that is gone (someone killed it), or stopped with its pipe full,
	// leaves only Pdeathsig; it never holds up a step.
	_ = r.w.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := r.w.WriteString(line + "\n"); err != nil {
		r.w.Close()
		r.w = nil
	}
}

// start starts the watchdog, if this program can re-execute itself.
func (r *reaper) start() {
	if !helperReady.Load() {
		return
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return
	}
	defer pr.Close()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		pw.Close()
		return
	}
	defer devnull.Close()
	p, err := os.StartProcess("/proc/self/exe", []string{os.Args[0], watchdogArg}, &os.ProcAttr{
		Files: []*os.File{pr, devnull, devnull},
		Env:   []string{}, // it needs none, and steps could read it in its /proc
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		pw.Close()
		return
	}
	// It exits only after this process has; nothing here waits for it.
	_ = p.Release()
	r.w = pw
}

// lockThread locks the calling goroutine to its OS thread for a step's
// process, whose Pdeathsig fires when the thread that started it ends:
// the Go runtime ends a thread only when a goroutine locked to it exits,
// so while run holds the lock the thread outlives the process. The
// returned function unlocks it.
func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}

// setPdeathsig makes the kernel kill the step's first process when
// arsenal-run is gone.
func setPdeathsig(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }

// runWatchdog is the watchdog: it keeps the registered process groups and
// cgroups until its input ends, then kills what is left in them.
func runWatchdog() {
	_ = hideProcess()
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU)
	groups, cgroups := map[int]bool{}, map[string]bool{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		op, arg, _ := strings.Cut(sc.Text(), " ")
		switch op {
		case "+g", "-g":
			if pgid, err := strconv.Atoi(arg); err == nil && pgid > 1 {
				groups[pgid] = op == "+g"
			}
		case "+c", "-c":
			if filepath.IsAbs(arg) {
				cgroups[arg] = op == "+c"
			}
		}
	}
	// arsenal-run is gone: nothing may outlive it.
	for pgid, live := range groups {
		if live {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}
	for dir, live := range cgroups {
		if live {
			killCgroup(dir)
		}
	}
	os.Exit(0)
}

// killCgroup kills every process in a sandbox cgroup, then removes it.
func killCgroup(dir string) {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		pids := cgroupPids(dir)
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for os.Remove(dir) != nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
