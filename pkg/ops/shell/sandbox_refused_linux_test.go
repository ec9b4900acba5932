package shell

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestSandboxNetworkRefusedSaysWhatToDo: a host that refuses the
// namespaces network: false needs is said to, with the ways out; for a
// user other than root, the namespace refused is a user namespace.
func TestSandboxNetworkRefusedSaysWhatToDo(t *testing.T) {
	refusal := &os.SyscallError{Syscall: "clone", Err: syscall.ENOSPC}
	for _, c := range []struct {
		name string
		sb   *sandboxRun
		want []string
	}{
		{"not root", &sandboxRun{l: &limits{}, userns: &userNamespace{}}, []string{
			"a new user namespace", "(no space left on device)", "allow unprivileged user namespaces", "run arsenal-run as root", "remove network: false", "the step did not run"}},
		{"root", &sandboxRun{l: &limits{}}, []string{
			"a new network namespace", "remove network: false", "the step did not run"}},
	} {
		got := c.sb.startError(refusal).Error()
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q; want it to hold %q", c.name, got, w)
			}
		}
	}
}
