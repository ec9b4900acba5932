package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// watcher waits for one child process to exit, through a pidfd registered
// with the Go runtime's poller: waiting costs no thread, and it can be
// abandoned (when the supervisor closes) without killing the process.
type watcher struct {
	pid int
	f   *os.File
	// left is who else was in the process's group when it exited, read
	// before it was reaped: while it is a zombie its pid, and so its
	// group's id, cannot be another's. Nil when it was reaped elsewhere.
	left map[int]uint64
}

// newWatcher watches pid, which must be a child of this process. Where
// pidfds are missing (kernels before 5.3) it falls back to polling.
func newWatcher(pid int) (*watcher, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.ENOSYS) {
		return &watcher{pid: pid}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("watching pid %d: %w", pid, err)
	}
	return &watcher{pid: pid, f: os.NewFile(uintptr(fd), fmt.Sprintf("pidfd-%d", pid))}, nil
}

// wait blocks until the process exits, reaps it and returns its status
// and resource usage (nil when it was reaped elsewhere); it returns ok
// false when ctx ends first, leaving the process alone.
func (w *watcher) wait(ctx context.Context) (ws syscall.WaitStatus, ru *syscall.Rusage, ok bool) {
	if w.f == nil {
		return w.poll(ctx)
	}
	rc, err := w.f.SyscallConn()
	if err != nil {
		return w.poll(ctx)
	}
	var usage syscall.Rusage
	stop := context.AfterFunc(ctx, func() { _ = w.f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var reaped bool
	err = rc.Read(func(uintptr) bool {
		w.noteLeft()
		pid, err := syscall.Wait4(w.pid, &ws, syscall.WNOHANG, &usage)
		switch {
		case errors.Is(err, syscall.EINTR):
			return false
		case pid == w.pid:
			reaped, ru = true, &usage
			return true
		case errors.Is(err, syscall.ECHILD):
			reaped = true // reaped elsewhere; the status is unknown
			return true
		}
		return false
	})
	if err != nil && !reaped {
		return ws, nil, false
	}
	return ws, ru, true
}

// poll is the fallback when the pidfd cannot be polled.
func (w *watcher) poll(ctx context.Context) (syscall.WaitStatus, *syscall.Rusage, bool) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		w.noteLeft()
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

// noteLeft records w.left once the process has exited, before it is
// reaped.
func (w *watcher) noteLeft() {
	if w.left != nil {
		return
	}
	var si unix.Siginfo
	if err := unix.Waitid(unix.P_PID, w.pid, &si, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil || si.Signo != int32(syscall.SIGCHLD) {
		return // running still (or not ours to wait for)
	}
	w.left = groupMembers(w.pid)
	delete(w.left, w.pid)
}

// signal sends sig to the watched process; a pidfd never hits a process
// that reused the pid.
func (w *watcher) signal(sig syscall.Signal) error {
	if w.f == nil {
		return syscall.Kill(w.pid, sig)
	}
	rc, err := w.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return err
	}
	return serr
}

func (w *watcher) close() {
	if w.f != nil {
		w.f.Close()
	}
}
