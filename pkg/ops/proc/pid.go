package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// pidLimit is the kernel's absolute bound on pid_max (PID_MAX_LIMIT on
// 64-bit Linux), used when /proc/sys/kernel/pid_max cannot be read.
const pidLimit = 1 << 22

// pidMaxFile holds the kernel's pid_max; a variable so tests can point it
// elsewhere.
var pidMaxFile = "/proc/sys/kernel/pid_max"

// pidMax returns the kernel's pid_max: every pid is below it. It is read on
// each call because an administrator may change it while serve runs.
func pidMax() int {
	b, err := os.ReadFile(pidMaxFile)
	if err != nil {
		return pidLimit
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 2 || n > pidLimit {
		return pidLimit
	}
	return n
}

// checkPID refuses a value that cannot be a process id: below 1, or at or
// above pid_max. The kernel's pid_t is 32 bits, so without this check
// 2^32+N would reach pid N after every guard had looked at the large value.
// It runs before any other check of a pid.
func checkPID(param string, pid int) error {
	if max := pidMax(); pid < 1 || pid >= max {
		return &ops.ParamError{Param: param, Msg: fmt.Sprintf("%d is not a process id: pids on this host are 1 to %d (below /proc/sys/kernel/pid_max, %d); use a pid from process.list", pid, max-1, max)}
	}
	return nil
}
