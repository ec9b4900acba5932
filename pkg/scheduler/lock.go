package scheduler

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/flock"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// LockFileName is the scheduler's lock file inside a state dir.
const LockFileName = "scheduler.lock"

// StateLock is a process's hold on a state dir as its one scheduler: two
// schedulers on one state dir would each fire the slots the other has not
// recorded yet. The lock is a flock on LockFileName, which holds the pid
// of its owner; the kernel releases it when the process ends, however it
// ends, so a crashed scheduler never blocks the next one.
type StateLock struct {
	f    *os.File
	path string
}

// HeldError is the lock being held by another process.
type HeldError struct {
	Path string
	PID  int // 0 when the owner's pid could not be read
	// Command is the owner's arsenal-run command, "schedule" or "serve"
	// (which takes the lock for its scheduled playbooks); "" when it
	// could not be read.
	Command string
}

func (e *HeldError) Error() string {
	who := "another process"
	switch {
	case e.PID > 0 && e.Command == "serve":
		who = "`arsenal-run serve`, pid " + strconv.Itoa(e.PID) + ", which runs the schedules of its playbooks,"
	case e.PID > 0 && e.Command != "":
		who = "`arsenal-run " + e.Command + "`, pid " + strconv.Itoa(e.PID) + ","
	case e.PID > 0:
		who = "another scheduler (`arsenal-run schedule`, or a `serve` with scheduled playbooks), pid " + strconv.Itoa(e.PID) + ","
	}
	return fmt.Sprintf("%s is running on this state dir (it holds %s); stop it first, or use another state dir", who, e.Path)
}

// LockStateDir takes the scheduler lock of dir (created when missing)
// without waiting: when another process holds it, it returns a *HeldError
// naming that process's pid.
func LockStateDir(dir string) (*StateLock, error) {
	// 0700, as history.Open makes a state dir: it holds the reports.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("scheduler lock: %w", err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := fsx.OpenOwn(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("scheduler lock: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("scheduler lock %s: %w", path, err)
	}
	if held {
		f.Close()
		pid := flock.HolderPID(path)
		return nil, &HeldError{Path: path, PID: pid, Command: commandOf(pid)}
	}
	// The pid is written under the lock; a reader that finds the file
	// empty is between our lock and this write, and reads again.
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		unlock(f)
		return nil, fmt.Errorf("scheduler lock %s: %w", path, err)
	}
	return &StateLock{f: f, path: path}, nil
}

// commandOf names the arsenal-run command pid runs, "schedule" or
// "serve", from its command line; "" when it cannot be read (no /proc,
// the process gone) or names neither. The first of the two words wins:
// `schedule serve.yaml` is a schedule.
func commandOf(pid int) string {
	if pid <= 0 {
		return ""
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	for _, a := range args[1:] {
		if a == "schedule" || a == "serve" {
			return a
		}
	}
	return ""
}

// Path returns the lock file's path.
func (l *StateLock) Path() string { return l.path }

// Unlock empties the lock file and releases it. It is idempotent.
func (l *StateLock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	unlock(l.f)
	l.f = nil
}
