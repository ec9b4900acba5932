package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestCancelAfterPlaybookTimeoutCancelsTheRun: a run whose playbook
// timeout ran out, cancelled while its handlers run (Ctrl-C during
// finally), ends cancelled as any run cancelled then does, not failed
// for the timeout: the timeout, the run's context's first cause, must
// not hide the cancellation that came after it.
func TestCancelAfterPlaybookTimeoutCancelsTheRun(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	signal := func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.signal", Risk: ops.RiskRead},
			ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
				cancel(ops.WithClass(ops.ClassCancelled, errors.New("interrupted by SIGINT")))
				return map[string]any{}, nil
			}))
	}
	e := New(registry(t, signal))
	rep, err := plan(t, e, header+`
timeout: 10ms
steps:
  - {id: a, op: control.sleep, with: {duration: 1h}}
on_cancel:
  - {id: oc, op: control.noop}
finally:
  - {id: f, op: test.signal}
`).Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != report.StatusCancelled || rep.Error == nil || rep.Error.Class != string(ops.ClassCancelled) || rep.Error.Message != "interrupted by SIGINT" {
		t.Fatalf("run %s %+v, want cancelled: interrupted by SIGINT", rep.Status, rep.Error)
	}
	// The timeout cuts a short, or, on a machine slow enough that its 10ms
	// ran out before a started, keeps a from starting: both are the
	// timeout's doing, as its class says.
	a := stepOf(t, rep, "a")
	want := report.StatusFailed
	if a.StartedAt == nil {
		want = report.StatusCancelled
	}
	if a.Status != want || a.Error == nil || a.Error.Class != string(ops.ClassTimeout) {
		t.Errorf("a (started %v): %s %+v, want %s with class timeout", a.StartedAt != nil, a.Status, a.Error, want)
	}
	if r := stepOf(t, rep, "oc").Reason; !strings.Contains(r, "cancelled after its steps had ended") {
		t.Errorf("on_cancel's reason: %q", r)
	}
}
