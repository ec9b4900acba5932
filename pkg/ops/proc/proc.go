// Package proc holds the process.* operations (list, inspect, start and
// signal processes) and the supervisor.* operations, with the Supervisor
// that keeps started processes running by their restart policy.
//
// Signals are sent through pidfds after checking the process's start time,
// so a pid reused by another process is never hit; pid 1, this process and
// the processes it descends from are never signalled.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Register adds the process.* and supervisor.* operations to r. sup is the
// Supervisor that process.start places processes in, created and closed by
// the caller; with nil, Register creates one that r.Close closes.
func Register(r *ops.Registry, sup *Supervisor) error {
	var start ops.Op = &StartOp{sup: sup}
	if sup == nil {
		sup = NewSupervisor(Options{})
		start = ownedStart{&StartOp{sup: sup}}
	}
	for _, d := range []struct {
		spec ops.Spec
		op   ops.Op
	}{
		{listSpec(), &List{sup: sup, mem: r.OutputMemory()}},
		{infoSpec(), &Info{sup: sup}},
		{startSpec(), start},
		{signalSpec("process.signal"), &SignalOp{sup: sup}},
		{signalSpec("process.kill"), &SignalOp{kill: true, sup: sup}},
		{childrenSpec(), &ChildrenOp{sup: sup}},
		{restartSpec(), &RestartOp{sup: sup}},
		{stopSpec(), &StopOp{sup: sup}},
	} {
		if err := r.Register(d.spec, d.op); err != nil {
			return err
		}
	}
	return nil
}

// ownedStart is process.start with a Supervisor of its own, closed with it.
type ownedStart struct{ *StartOp }

var _ io.Closer = ownedStart{}

func (o ownedStart) Close() error { return o.sup.Close() }

// guard refuses pids that must never be signalled. A value that is not a
// pid at all is refused first, before it can be compared with anything.
func guard(pid int) error {
	if err := checkPID("pid", pid); err != nil {
		return err
	}
	switch {
	case pid <= 1:
		return denied("pid %d: signalling pid 1 or below (init, process groups, every process) is never allowed", pid)
	case pid == os.Getpid():
		return denied("pid %d is arsenal-run itself", pid)
	case pid == os.Getppid():
		return denied("pid %d is the parent of arsenal-run", pid)
	case isAncestor(pid):
		return denied("pid %d started arsenal-run (a shell, sudo, tmux or service manager above its parent): signalling it could end this run too", pid)
	}
	return nil
}

// maxAncestors bounds the walk up from arsenal-run's parent.
const maxAncestors = 256

// isAncestor reports whether pid is one of the processes arsenal-run
// descends from, below pid 1: its parent, the parent's parent and so on.
// A pattern matching the command line of arsenal-run (run restart-web.yaml)
// also matches that of a sudo or tmux above it, which passes a signal on
// to the run, or ends it.
func isAncestor(pid int) bool {
	for p, i := os.Getppid(), 0; p > 1 && i < maxAncestors; i++ {
		if p == pid {
			return true
		}
		p = parentOf(p)
	}
	return false
}

// parentOf returns the pid of pid's parent, or 0 when it cannot be read.
func parentOf(pid int) int {
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return 0
	}
	pp, err := p.Ppid()
	if err != nil || int(pp) == pid {
		return 0
	}
	return int(pp)
}

// isRunner reports whether pid is arsenal-run itself or one it descends
// from: like pkill, which never counts itself, a pattern that matches only
// these has matched nothing to signal.
func isRunner(pid int) bool { return pid == os.Getpid() || pid == os.Getppid() || isAncestor(pid) }

// tagged is an error that errors.Is its tag without the tag's text in its
// own.
type tagged struct {
	tag error
	msg string
}

func (e *tagged) Error() string { return e.msg }
func (e *tagged) Unwrap() error { return e.tag }

// denied returns a refusal by a safeguard or by the caller's scope: it
// wraps ops.ErrDenied (class authorization), but its text does not start
// with "denied", since whoever reports a denial says so already ("step s1
// denied: pid 1: ...").
func denied(format string, args ...any) error {
	return &tagged{ops.ErrDenied, fmt.Sprintf(format, args...)}
}

// errGone marks the errors of a process that no longer exists, or whose
// pid now belongs to another process.
var errGone = errors.New("no such process")

// createTime returns when pid started, in milliseconds since the epoch, as
// gopsutil computes it (the same clock process.list reports).
func createTime(ctx context.Context, pid int) (int64, error) {
	p, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return 0, err
	}
	return p.CreateTimeWithContext(ctx)
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms) }

// users caches user names by uid for one listing.
type users map[uint32]string

func (u users) name(uid uint32) string {
	if n, ok := u[uid]; ok {
		return n
	}
	n := strconv.FormatUint(uint64(uid), 10)
	if usr, err := user.LookupId(n); err == nil {
		n = usr.Username
	}
	u[uid] = n
	return n
}

// facts reads the fields of a process.list entry. ok is false when the
// process vanished while being read.
func facts(ctx context.Context, p *process.Process, u users, now time.Time) (map[string]any, bool) {
	name, err := p.NameWithContext(ctx)
	if err != nil {
		return nil, false
	}
	ct, err := p.CreateTimeWithContext(ctx)
	if err != nil {
		return nil, false
	}
	m := map[string]any{"pid": int(p.Pid), "name": name, "started_at": formatTime(msTime(ct))}
	ppid, _ := p.PpidWithContext(ctx)
	m["ppid"] = int(ppid)
	cmd, _ := p.CmdlineWithContext(ctx)
	m["cmdline"] = cmd
	m["user"] = nil
	if uids, err := p.UidsWithContext(ctx); err == nil && len(uids) > 1 {
		m["user"] = u.name(uids[1])
	}
	m["rss_bytes"] = 0
	if mi, err := p.MemoryInfoWithContext(ctx); err == nil {
		m["rss_bytes"] = int(mi.RSS)
	}
	m["cpu_percent"] = 0.0
	if t, err := p.TimesWithContext(ctx); err == nil {
		if elapsed := now.Sub(msTime(ct)).Seconds(); elapsed > 0 {
			m["cpu_percent"] = round2((t.User + t.System) / elapsed * 100)
		}
	}
	return m, true
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// noProcess is the error for a pid that does not exist.
func noProcess(pid int) error {
	return ops.WithClass(ops.ClassExecution, &tagged{errGone, fmt.Sprintf("no process with pid %d: it has exited, or the pid is wrong", pid)})
}

func isGone(err error) bool {
	return errors.Is(err, process.ErrorProcessNotRunning) || errors.Is(err, os.ErrNotExist)
}

// threadError says that pid is a thread of another process, not a
// process: its thread group's id differs. nil otherwise, or when it
// cannot tell (no /proc).
func threadError(pid int) error {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			if tgid, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && tgid != pid {
				return ops.Errorf(ops.ClassValidation, "pid %d is a thread of process %d, not a process; give the process's pid, %d", pid, tgid, tgid)
			}
			return nil
		}
	}
	return nil
}

// zombieError says that pid has exited and is a zombie, which a signal
// does nothing to: it is gone but for its entry, which its parent has not
// yet reaped. nil when pid is not a zombie, or when that cannot be told.
func zombieError(ctx context.Context, pid int) error {
	p, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return nil
	}
	st, err := p.StatusWithContext(ctx)
	if err != nil || len(st) == 0 || st[0] != process.Zombie {
		return nil
	}
	parent := "its parent"
	if ppid, err := p.PpidWithContext(ctx); err == nil && ppid > 0 {
		parent = fmt.Sprintf("its parent, pid %d", ppid)
		if pp, err := process.NewProcessWithContext(ctx, ppid); err == nil {
			if name, err := pp.NameWithContext(ctx); err == nil {
				parent += " (" + name + ")"
			}
		}
	}
	return ops.WithClass(ops.ClassExecution, &tagged{errGone, fmt.Sprintf("pid %d has exited and is a zombie, left for %s to reap; a signal does nothing to it; not signalled (if zombies pile up, restart the parent)", pid, parent)})
}
