package engine

import (
	"context"
	"strings"
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
	rep := cancelAtStart(t, p, "work")
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

// graceClock ends the notify grace at once and waits for real otherwise.
type graceClock struct{}

func (graceClock) Now() time.Time { return time.Now() }
func (graceClock) After(d time.Duration) <-chan time.Time {
	if d == NotifyGrace {
		ch := make(chan time.Time, 1)
		ch <- time.Now()
		return ch
	}
	return time.After(d)
}

// TestNotifyGraceKeepsTheEnginesClock: the minute a cancelled run's notify
// entries get is told by the engine's clock, as every other wait of a run
// is, so an entry whose receiver hangs ends when that clock says the grace
// is over, timed out and naming it.
func TestNotifyGraceKeepsTheEnginesClock(t *testing.T) {
	hung := &notifier{hang: true}
	e := New(registry(t, newTestOps().register, hung.register), WithClock(graceClock{}))
	p := plan(t, e, header+`
steps:
  - {id: work, op: control.sleep, with: {duration: 1m}}
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
	done := make(chan *report.Report, 1)
	go func() {
		rep, err := p.Run(ctx, nil, WithRunObserver(obs))
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	var rep *report.Report
	select {
	case rep = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the notify entry still runs after the clock ended its grace")
	}
	for _, s := range rep.Steps {
		if s.Section == "notify" && (s.Error == nil || !strings.Contains(s.Error.Message, "notify grace")) {
			t.Errorf("notify entry %s: %s %+v; want timed out by the notify grace", s.ID, s.Status, s.Error)
		}
	}
}
