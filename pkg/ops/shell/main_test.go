package shell

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func TestMain(m *testing.M) {
	MaybeRunSandboxHelper()
	goleak.VerifyTestMain(m)
}

// newRegistry returns a registry holding shell.exec configured by e.
func newRegistry(t testing.TB, e *Exec) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r, e); err != nil {
		t.Fatal(err)
	}
	return r
}

// execute runs shell.exec with raw params through the registry, so the
// schema and ValidateParams apply as they do in a run.
func execute(t testing.TB, ctx context.Context, e *Exec, raw map[string]any) (map[string]any, error) {
	t.Helper()
	return opstest.Execute(newRegistry(t, e), ctx, "shell.exec", raw)
}
