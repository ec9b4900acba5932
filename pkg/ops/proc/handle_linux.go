package proc

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// handle refers to one process, not to a pid: once it is open, a process
// that later takes the same pid is out of its reach.
type handle struct {
	pid, fd int
}

func openProcess(pid int) (*handle, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
		return nil, noProcess(pid)
	case errors.Is(err, unix.ENOSYS):
		return &handle{pid: pid, fd: -1}, nil // kernel before 5.3: plain kill
	case err != nil:
		if e := threadError(pid); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("opening process %d: %w", pid, err)
	}
	return &handle{pid: pid, fd: fd}, nil
}

func (h *handle) signal(sig syscall.Signal) error {
	if h.fd < 0 {
		return syscall.Kill(h.pid, sig)
	}
	return unix.PidfdSendSignal(h.fd, sig, nil, 0)
}

func (h *handle) close() {
	if h.fd >= 0 {
		unix.Close(h.fd)
	}
}
