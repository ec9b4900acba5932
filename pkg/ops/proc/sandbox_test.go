package proc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
)

type sandboxOnly struct{}

func (sandboxOnly) SandboxRequirement() *sandbox.Limits { return &sandbox.Limits{NetworkSet: true} }

// TestStartUnderSandboxRequirement checks that process.start refuses to
// run when the caller's role requires programs to run sandboxed: its
// process outlives the step, so it cannot be.
func TestStartUnderSandboxRequirement(t *testing.T) {
	r, _ := newEnv(t, Options{})
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: sandboxOnly{}})
	out, err := opstest.Execute(r, ctx, "process.start", helper(t, "sleep", marker(t)))
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "sandbox") {
		t.Errorf("process.start under a sandbox requirement: %v %v, want an authorization refusal", out, err)
	}
}
