//go:build !linux

package proc

import "syscall"

// handle is a pid where pidfds do not exist; the start time check right
// before the signal is the only guard against reuse.
type handle struct{ pid int }

func openProcess(pid int) (*handle, error) {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return nil, noProcess(pid)
	}
	return &handle{pid: pid}, nil
}

func (h *handle) signal(sig syscall.Signal) error { return syscall.Kill(h.pid, sig) }

func (h *handle) close() {}
