//go:build !linux

package proc

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// watcher polls for the exit of a child process where pidfds do not exist.
// It cannot tell who was left in the process's group (left stays nil).
type watcher struct {
	pid  int
	left map[int]uint64
}

func newWatcher(pid int) (*watcher, error) { return &watcher{pid: pid}, nil }

func (w *watcher) wait(ctx context.Context) (syscall.WaitStatus, *syscall.Rusage, bool) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		pid, err := syscall.Wait4(w.pid, &ws, syscall.WNOHANG, &ru)
		if pid == w.pid {
			return ws, &ru, true
		}
		if errors.Is(err, syscall.ECHILD) {
			return ws, nil, true
		}
		select {
		case <-ctx.Done():
			return ws, nil, false
		case <-t.C:
		}
	}
}

func (w *watcher) signal(sig syscall.Signal) error { return syscall.Kill(w.pid, sig) }

func (w *watcher) close() {}
