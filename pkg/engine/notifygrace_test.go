package engine

import (
	"context"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestNotifyAfterFinallyUsedTheBudget: a run cancelled while a finally
// step hangs past the handler budget still sends its notify: entries.
// Before, they ran in the handlers' context, which the budget had ended,
// and the "run cancelled" message an on-call person waits for was lost
// exactly when the cleanup hung.
func TestNotifyAfterFinallyUsedTheBudget(t *testing.T) {
	n := &notifier{}
	to := newTestOps()
	e := New(registry(t, to.register, n.register), WithHandlerBudget(100*time.Millisecond))
	p := plan(t, e, header+`
steps:
  - {id: work, op: control.sleep, with: {duration: 1m}}
finally:
  - {id: cleanup, op: control.sleep, with: {duration: 1m}}
notify:
  - on: [cancelled]
    webhook: {url: "https://hooks.example/T0/B0/xyz"}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventStepStarted && ev.Step == "work" {
			cancel()
		}
	})
	rep, err := p.Run(ctx, nil, WithRunObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != report.StatusCancelled || stepOf(t, rep, "cleanup").Error == nil {
		t.Fatalf("run %s, cleanup %+v; want cancelled, cleanup cut by the budget", rep.Status, stepOf(t, rep, "cleanup"))
	}
	if len(n.sent) != 1 {
		t.Errorf("%d notifications sent, want 1", len(n.sent))
	}
	for _, s := range rep.Steps {
		if s.Section == "notify" && s.Status != report.StatusSucceeded {
			t.Errorf("notify entry %s: %s %+v", s.ID, s.Status, s.Error)
		}
	}
}
