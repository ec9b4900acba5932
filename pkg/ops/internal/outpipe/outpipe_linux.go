package outpipe

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipePending reports whether bytes wait in the pipe r reads, or whether
// it cannot tell.
func pipePending(r *os.File) bool {
	pending := true
	if c, err := r.SyscallConn(); err == nil {
		_ = c.Control(func(fd uintptr) {
			// TIOCINQ is FIONREAD: the bytes a read would get.
			if n, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ); err == nil {
				pending = n > 0
			}
		})
	}
	return pending
}

// pipeCapacity is how many bytes the pipe r reads can hold.
func pipeCapacity(r *os.File) int64 {
	size := int64(1 << 20) // the most an unprivileged process may set
	if c, err := r.SyscallConn(); err == nil {
		_ = c.Control(func(fd uintptr) {
			if n, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0); err == nil && n > 0 {
				size = int64(n)
			}
		})
	}
	return size
}
