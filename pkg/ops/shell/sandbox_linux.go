package shell

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procenv"
)

// helperArg marks a re-execution of the current binary as the sandbox
// helper: os.Args[1] == helperArg.
const helperArg = "__arsenal-run-sandbox-exec"

// helperReady is set when the program has called MaybeRunSandboxHelper, so
// that re-executing it with helperArg reaches the helper.
var helperReady atomic.Bool

// MaybeRunSandboxHelper must be called first thing in main (and in TestMain
// of tests that use sandboxes). When the process was started as the sandbox
// helper it applies the limits it was given and replaces itself with the
// sandboxed program, never returning; started as the watchdog (see reaper)
// it watches this program's shell steps and never returns either.
// Otherwise it makes this process non-dumpable, so that the steps it runs
// cannot read its environment or open files through /proc or ptrace it
// (see hideProcess), and returns, enabling sandboxes and the watchdog in
// this process. Without this call a sandboxed step fails instead of running
// unsandboxed, and a shell step's grandchildren may outlive a killed
// arsenal-run.
func MaybeRunSandboxHelper() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case helperArg:
			runHelper(os.Args[2:])
		case watchdogArg:
			runWatchdog()
		}
	}
	_ = hideProcess() // cannot fail on Linux
	// Descriptors this process was started with (a caller's pipe, a file
	// its shell opened as 7>file) would pass to every program a step
	// starts, and stay open in a process.start that outlives the run:
	// they close on exec. What a step's program gets is its own.
	_ = closeInheritedFiles()
	helperReady.Store(true)
}

// sandboxPATH is the PATH a sandboxed program gets unless its env sets one.
const sandboxPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// sandboxRun is the state of one sandboxed run: its directory, its cgroup
// and the pipe on which the helper reports a limit it could not apply.
type sandboxRun struct {
	l          *limits
	dir        string
	cg         string
	errR, errW *os.File
	envF       *os.File       // the program's environment, for the helper to pass on
	memCG      string         // a cgroup of its own for memory, where the pids one has none
	userns     *userNamespace // nil unless the helper waits for its user namespace
	nprocNS    bool           // the user namespace is there for RLIMIT_NPROC
}

// boundMemory bounds the sandbox's memory as a whole where a cgroup can,
// and reports whether one does: the pids cgroup when it has the memory
// controller, else one of its own (memCG, which the helper must join too)
// in a cgroup v1 memory hierarchy. Otherwise RLIMIT_AS alone bounds each
// process.
func (sb *sandboxRun) boundMemory() bool {
	if sb.cg != "" && limitCgroupMemory(sb.cg, sb.l.Memory) == nil {
		return true
	}
	base, err := memoryCgroupBase()
	if err != nil {
		return false
	}
	dir, err := newCgroup(base)
	if err != nil {
		return false
	}
	if limitCgroupMemory(dir, sb.l.Memory) != nil {
		_ = os.Remove(dir)
		return false
	}
	sb.memCG = dir
	theReaper.watchCgroup(dir)
	return true
}

// prepareSandbox rewrites cmd to start the helper, which applies the limits
// and then executes the program.
func prepareSandbox(cmd *exec.Cmd, r *request) (_ *sandboxRun, err error) {
	if !helperReady.Load() {
		return nil, errors.New("sandbox: this program did not call shell.MaybeRunSandboxHelper at start, so it cannot apply sandbox limits; the step did not run")
	}
	l := r.sandbox
	sb := &sandboxRun{l: l}
	defer func() {
		if err != nil {
			sb.cleanup()
		}
	}()
	// The directory is the program's HOME, where git and ssh read their
	// configuration: it lies where no file operation of any caller
	// reaches (see fsroot.PrivateBase).
	if sb.dir, err = fsroot.MkdirPrivate("sandbox-"); err != nil {
		return nil, fmt.Errorf("sandbox: creating its directory: %w", err)
	}
	env := append([]string{"PATH=" + sandboxPATH, "HOME=" + sb.dir}, r.env...)
	program, err := procenv.Resolve(r.argv[0], sb.dir, pathOf(env, sandboxPATH))
	if err != nil {
		return nil, err
	}
	var spec []string
	add := func(k string, v uint64) { spec = append(spec, k+"="+strconv.FormatUint(v, 10)) }
	if l.OpenFiles > 0 {
		add("nofile", uint64(l.OpenFiles))
	}
	if l.FileSize > 0 {
		add("fsize", uint64(l.FileSize))
	}
	if l.CPU > 0 {
		add("cpu", l.CPUSeconds())
	}
	if l.Memory > 0 {
		add("as", uint64(l.Memory))
	}
	// A cgroup, where the host allows one, also catches processes that
	// leave the process group (setsid), so they are killed at the end too.
	base, cgErr := pidsCgroupBase()
	if cgErr == nil {
		if sb.cg, cgErr = newPidsCgroup(base, l.Processes); cgErr == nil {
			theReaper.watchCgroup(sb.cg)
		}
	}
	switch {
	case cgErr == nil && l.Processes > 0:
		spec = append(spec, "cg="+sb.cg)
	case cgErr == nil:
		spec = append(spec, "cgopt="+sb.cg) // joining is best effort
	}
	if l.Memory > 0 && sb.boundMemory() && sb.memCG != "" {
		spec = append(spec, "cgmem="+sb.memCG)
	}
	userns := !l.Network && os.Geteuid() != 0
	if l.Processes > 0 && cgErr != nil {
		if err := nprocUsable(cgErr); err != nil {
			return nil, err
		}
		// In a user namespace of its own RLIMIT_NPROC counts the
		// sandbox's tasks alone: the program is the first of them.
		userns, sb.nprocNS = true, true
		add("nproc", uint64(l.Processes))
	}
	attr := cmd.SysProcAttr
	if !l.Network {
		spec = append(spec, "lo=1")
		attr.Cloneflags |= syscall.CLONE_NEWNET
		if !userns {
			// Root could enter arsenal-run's network namespace again
			// (nsenter --net=/proc/PID/ns/net): see dropNetnsCaps.
			spec = append(spec, "nonetns=1")
		}
	}
	if userns {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		if sb.userns, err = newUserNamespace(os.Geteuid(), os.Getegid()); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		spec = append([]string{"userns=1"}, spec...) // first: rlimits and cgroup joins come after
	}
	if sb.errR, sb.errW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	cmd.ExtraFiles = []*os.File{sb.errW}
	if sb.userns != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, sb.userns.peer)
	}
	// The helper runs with no environment: the step's (LD_PRELOAD, say)
	// would have the dynamic loader of a dynamically linked build run its
	// code there, before any limit and outside the cgroups. The program
	// gets it through a memory file the helper reads.
	if sb.envF, err = environFile(env); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, sb.envF)
	spec = append(spec, "envfd="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	cmd.Path = "/proc/self/exe"
	cmd.Args = append([]string{r.argv[0], helperArg, strings.Join(spec, ","), program}, r.argv...)
	cmd.Dir = sb.dir
	cmd.Env = []string{}
	return sb, nil
}

// environFile returns a memory file holding env, NUL-separated, at its
// start.
func environFile(env []string) (*os.File, error) {
	fd, err := unix.MemfdCreate("arsenal-sandbox-env", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("the program's environment: %w", err)
	}
	f := os.NewFile(uintptr(fd), "arsenal-sandbox-env")
	if _, err := f.WriteString(strings.Join(env, "\x00")); err != nil {
		f.Close()
		return nil, fmt.Errorf("the program's environment: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("the program's environment: %w", err)
	}
	return f, nil
}

// startError explains why the helper could not be started.
func (sb *sandboxRun) startError(err error) error {
	refused := errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EUSERS)
	switch {
	case refused && sb.nprocNS:
		return fmt.Errorf("sandbox: the processes limit needs a new user namespace where no cgroup pids controller is writable, which this host refused (%v); "+
			"allow unprivileged user namespaces, run where cgroups are writable, or remove processes from the sandbox; the step did not run", errors.Unwrap(err))
	case refused && !sb.l.Network && sb.userns != nil:
		// A user other than root gets its network namespace inside a
		// user namespace of its own: that is what a host refuses, most
		// often because unprivileged user namespaces are disabled.
		return fmt.Errorf("sandbox: network: false needs, for a user other than root, a new user namespace holding the new network namespace, which this host refused (%v); "+
			"allow unprivileged user namespaces (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, or the AppArmor restriction of them), run arsenal-run as root, or remove network: false from the sandbox; the step did not run", errors.Unwrap(err))
	case refused && !sb.l.Network:
		return fmt.Errorf("sandbox: network: false needs a new network namespace, which this host refused (%v); "+
			"run where network namespaces may be made (a container may need CAP_SYS_ADMIN), or remove network: false from the sandbox; the step did not run", errors.Unwrap(err))
	}
	return fmt.Errorf("sandbox: starting the sandbox helper: %w; the step did not run", err)
}

// started waits until the helper pid has executed the program (the pipe
// closes on exec) or reported the limit it could not apply.
func (sb *sandboxRun) started(pid int) error {
	sb.errW.Close()
	sb.errW = nil
	if sb.envF != nil {
		sb.envF.Close()
		sb.envF = nil
	}
	if sb.userns != nil {
		if err := sb.userns.mapIDs(pid); err != nil {
			return err
		}
	}
	msg, _ := io.ReadAll(io.LimitReader(sb.errR, 4096))
	if prog, ok := bytes.CutPrefix(msg, []byte(programFailed)); ok {
		return &procenv.ProgramError{Msg: string(bytes.TrimSpace(prog))}
	}
	if len(msg) > 0 {
		return fmt.Errorf("sandbox: could not apply %s; the step did not run", bytes.TrimSpace(msg))
	}
	return nil
}

// killAll kills every process left in the sandbox's cgroup, including those
// that left the process group.
func (sb *sandboxRun) killAll() {
	if sb.cg == "" && sb.memCG == "" {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		pids := append(cgroupPids(sb.cg), cgroupPids(sb.memCG)...)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cleanup removes the cgroup and the directory.
func (sb *sandboxRun) cleanup() {
	for _, f := range []*os.File{sb.errR, sb.errW, sb.envF} {
		if f != nil {
			f.Close()
		}
	}
	if sb.userns != nil {
		sb.userns.close()
	}
	for _, cg := range []string{sb.cg, sb.memCG} {
		if cg == "" {
			continue
		}
		deadline := time.Now().Add(2 * time.Second)
		for os.Remove(cg) != nil && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		theReaper.forgetCgroup(cg)
	}
	if sb.dir != "" {
		_ = os.RemoveAll(sb.dir)
	}
}

// runHelper is the sandbox helper: args are the limits spec, the program's
// path and its argv. Errors go to fd 3, which closes on a successful exec;
// so does every other descriptor but the standard streams.
func runHelper(args []string) {
	// Capabilities belong to a thread: those dropped must be the exec's.
	runtime.LockOSThread()
	errPipe := os.NewFile(3, "sandbox-errors")
	fail := func(what string, err error) {
		fmt.Fprintf(errPipe, "%s: %v", what, err)
		os.Exit(126)
	}
	if len(args) < 3 {
		fail("the sandbox", errors.New("helper started without a program"))
	}
	if _, err := unix.FcntlInt(3, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		fail("the sandbox", err)
	}
	type limit struct {
		name     string
		resource int
		cur, max uint64
	}
	var rls []limit
	var nproc *limit
	noNetns := false
	env := os.Environ()
	for _, kv := range strings.Split(args[0], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.ParseUint(v, 10, 64)
		switch k {
		case "userns":
			if err := awaitUserNamespace(); err != nil {
				fail("the user namespace", err)
			}
		case "cg", "cgopt":
			if err := os.WriteFile(filepath.Join(v, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil && k == "cg" {
				fail("the processes limit (joining its cgroup)", err)
			}
		case "cgmem":
			if err := os.WriteFile(filepath.Join(v, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
				fail("the memory limit (joining its cgroup)", err)
			}
		case "lo":
			_ = loopbackUp() // without it the sandbox has no loopback either
		case "nonetns":
			noNetns = true
		case "nofile":
			rls = append(rls, limit{"the open_files limit", unix.RLIMIT_NOFILE, n, n})
		case "fsize":
			rls = append(rls, limit{"the file_size limit", unix.RLIMIT_FSIZE, n, n})
		case "cpu":
			rls = append(rls, limit{"the cpu limit", unix.RLIMIT_CPU, n, n + 1})
		case "nproc":
			nproc = &limit{"the processes limit", unix.RLIMIT_NPROC, n, n}
		case "as":
			rls = append(rls, limit{"the memory limit", unix.RLIMIT_AS, n, n})
		case "envfd":
			f := os.NewFile(uintptr(n), "sandbox-env")
			b, err := io.ReadAll(f)
			if err != nil {
				fail("the sandbox (reading the program's environment)", err)
			}
			f.Close()
			env = nil
			if len(b) > 0 {
				env = strings.Split(string(b), "\x00")
			}
		}
	}
	if err := closeInheritedFiles(); err != nil {
		fail("the sandbox (closing inherited files)", err)
	}
	if noNetns {
		if err := dropNetnsCaps(); err != nil {
			fail("network: false (dropping the capabilities to leave its network namespace)", err)
		}
	}
	// RLIMIT_NPROC comes last, just before exec: it counts this helper's
	// threads too, and the runtime may not be able to start another.
	if nproc != nil {
		rls = append(rls, *nproc)
	}
	for _, l := range rls {
		// syscall.Setrlimit, so that syscall.Exec does not restore the
		// open files limit Go raised at start when one was asked for.
		if err := syscall.Setrlimit(l.resource, &syscall.Rlimit{Cur: l.cur, Max: l.max}); err != nil {
			fail(l.name, err)
		}
	}
	err := syscall.Exec(args[1], args[2:], env)
	if pe := procenv.StartError(args[1], err); procenv.IsProgramError(pe) {
		fmt.Fprint(errPipe, programFailed+pe.Error())
		os.Exit(126)
	}
	fail("exec "+args[1], err)
}

// netnsCaps are the capabilities with which root could leave the
// sandbox's network namespace: CAP_SYS_ADMIN enters another one (setns),
// CAP_SYS_PTRACE opens another process's /proc/PID/ns/net or makes a
// process outside the sandbox connect for it.
var netnsCaps = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_SYS_PTRACE}

// dropNetnsCaps takes netnsCaps from this thread, and from its bounding
// set, so that neither the program nor a setuid one it runs gets them
// back. A user other than root has none of them outside its own user
// namespace, which sets its network namespace's bounds.
func dropNetnsCaps() error {
	for _, c := range netnsCaps {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return err
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	for _, c := range netnsCaps {
		bit := uint32(1) << (c % 32)
		d := &data[c/32]
		d.Effective &^= bit
		d.Permitted &^= bit
		d.Inheritable &^= bit
	}
	return unix.Capset(&hdr, &data[0])
}

// programFailed starts the helper's report that the program itself cannot
// be run, as opposed to a limit it could not apply.
const programFailed = "program: "

// loopbackUp brings up lo in the new network namespace, so that the
// sandboxed program can still talk to itself.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
