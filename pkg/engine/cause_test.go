package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// registerDial registers test.dial: it tells started that it runs, then
// waits for its context and fails as a client library does, with the
// context's bare error under its own words and class.
func registerDial(started chan<- struct{}) func(*ops.Registry) {
	return func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.dial", Risk: ops.RiskRead},
			ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
				started <- struct{}{}
				<-ctx.Done()
				return nil, ops.Errorf(ops.ClassExecution, "dial db-1:5432: %w", ctx.Err())
			}))
	}
}

// TestCancelledCallKeepsItsDetails: a step whose operation, cancelled,
// fails with the context's bare error under its own words ends
// cancelled, not failed, and its error keeps what the operation was
// doing, whether the run was cancelled with a cause or without one.
func TestCancelledCallKeepsItsDetails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cause error
		want  string
	}{
		{"plain", nil, "dial db-1:5432: context canceled"},
		{"with a cause", errors.New("stopped by the operator"), "stopped by the operator: dial db-1:5432"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started := make(chan struct{}, 1)
			e := New(registry(t, registerDial(started)))
			p := plan(t, e, header+`
steps:
  - id: a
    op: test.dial
`)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			go func() {
				<-started
				cancel(tc.cause)
			}()
			rep, err := p.Run(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			a := stepOf(t, rep, "a")
			if a.Status != report.StatusCancelled || a.Error == nil || a.Error.Class != string(ops.ClassCancelled) || a.Error.Message != tc.want {
				t.Errorf("a: %s %+v, want cancelled: %s", a.Status, a.Error, tc.want)
			}
			if rep.Status != report.StatusCancelled {
				t.Errorf("run %s, want cancelled", rep.Status)
			}
		})
	}
}
