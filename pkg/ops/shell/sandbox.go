package shell

import (
	"fmt"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
)

// limits is a parsed sandbox param; its syntax is shared with a policy's
// require_sandbox.
type limits = sandbox.Limits

// parseSandbox checks and converts the sandbox map. With final false,
// Deferred values are skipped.
func parseSandbox(m map[string]any, final bool) (*limits, error) {
	return sandbox.Parse(m, final)
}

// hint explains a signal that a sandbox limit causes.
func hint(l *limits, sig syscall.Signal) string {
	if l == nil {
		return ""
	}
	switch {
	case sig == syscall.SIGXCPU && l.CPU > 0:
		return fmt.Sprintf("; the sandbox cpu limit of %ds was reached", l.CPUSeconds())
	case sig == syscall.SIGKILL && l.CPU > 0 && l.Memory > 0:
		return fmt.Sprintf("; the sandbox cpu limit of %ds or its memory limit of %d bytes may have been reached", l.CPUSeconds(), l.Memory)
	case sig == syscall.SIGKILL && l.CPU > 0:
		return fmt.Sprintf("; the sandbox cpu limit of %ds may have been reached", l.CPUSeconds())
	case sig == syscall.SIGKILL && l.Memory > 0:
		// The kernel's OOM killer, when a cgroup bounds the sandbox.
		return fmt.Sprintf("; the sandbox memory limit of %d bytes may have been reached", l.Memory)
	case sig == syscall.SIGXFSZ && l.FileSize > 0:
		return fmt.Sprintf("; the sandbox file_size limit of %d bytes was reached", l.FileSize)
	case (sig == syscall.SIGSEGV || sig == syscall.SIGABRT || sig == syscall.SIGBUS) && l.Memory > 0:
		return fmt.Sprintf("; the sandbox memory limit of %d bytes may have been reached", l.Memory)
	}
	return ""
}
