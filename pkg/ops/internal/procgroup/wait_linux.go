package procgroup

import (
	"errors"

	"golang.org/x/sys/unix"
)

// WaitExited blocks until the process pid has exited, without reaping it,
// and reports whether it could. While the exited process is not reaped its
// pid and process group id stay taken, so its group can be killed safely
// (Finish) before the caller reaps it.
func WaitExited(pid int) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil
	}
}
