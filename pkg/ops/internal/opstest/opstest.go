// Package opstest calls operations directly, for the tests of the
// operations themselves: it validates the params as a run does, then
// invokes the operation without the engine's chain. Only the operations'
// own packages can import it.
package opstest

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Execute validates raw against the operation's schema and checks, then
// runs it. A bad op or param is an error of class validation.
func Execute(r *ops.Registry, ctx context.Context, name string, raw map[string]any) (map[string]any, error) {
	e, err := r.Get(name)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	p, err := e.Validate(raw, true)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	return e.Invoke(ctx, p, chaintoken.New())
}

// WantValidation fails t unless err is a validation error whose text holds
// every string of want; what names the case.
func WantValidation(t testing.TB, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want a validation error with %q", what, want)
		return
	}
	if c := ops.ClassOf(err); c != ops.ClassValidation {
		t.Errorf("%s: %v: class %s, want validation", what, err, c)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: %v, want it to contain %q", what, err, w)
		}
	}
}
