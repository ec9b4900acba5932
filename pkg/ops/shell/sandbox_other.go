//go:build !linux

package shell

import (
	"errors"
	"os/exec"
)

// MaybeRunSandboxHelper does nothing on this system: sandboxes need Linux.
func MaybeRunSandboxHelper() {}

type sandboxRun struct{}

func prepareSandbox(*exec.Cmd, *request) (*sandboxRun, error) {
	return nil, errors.New("sandbox: sandboxes need Linux (namespaces, rlimits and cgroups); the step did not run")
}

func (*sandboxRun) startError(err error) error { return err }
func (*sandboxRun) started(int) error          { return nil }
func (*sandboxRun) killAll()                   {}
func (*sandboxRun) cleanup()                   {}
