// Package procres reads what a waited child process used from its rusage,
// for the resources field of shell.exec, plugins and supervised processes.
package procres

import (
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Of returns the resources of a process that has been waited for; ok is
// false when the platform keeps no rusage.
func Of(ps *os.ProcessState) (ops.Resources, bool) {
	if ps == nil {
		return ops.Resources{}, false
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return ops.Resources{}, false
	}
	r := FromRusage(ru)
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.Signal = SignalName(ws.Signal())
	}
	return r, true
}

// FromRusage converts a rusage: times to milliseconds, the peak RSS to
// kilobytes (Linux counts it in kilobytes, macOS in bytes).
func FromRusage(ru *syscall.Rusage) ops.Resources {
	maxRSS := int64(ru.Maxrss)
	if runtime.GOOS == "darwin" {
		maxRSS /= 1024
	}
	return ops.Resources{
		CPUUserMS: time.Duration(ru.Utime.Nano()).Milliseconds(),
		CPUSysMS:  time.Duration(ru.Stime.Nano()).Milliseconds(),
		MaxRSSKB:  maxRSS,
	}
}

// SignalName is the conventional name of a signal, like SIGKILL.
func SignalName(s syscall.Signal) string {
	if n := names[s]; n != "" {
		return n
	}
	return "signal " + s.String()
}

var names = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGILL: "SIGILL", syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS",
	syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL", syscall.SIGSEGV: "SIGSEGV",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2", syscall.SIGXCPU: "SIGXCPU",
	syscall.SIGXFSZ: "SIGXFSZ",
}
