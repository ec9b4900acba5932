package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestCancelWhileWaitingForASlot: steps that wait for a --max-parallel
// slot when the run is cancelled do not start: they end cancelled as not
// started, with no attempt and no start time, and their step_finished
// says so (not_started), so that the live view shows a dash for their
// time as the summary does. Before, each took its slot after the cancel,
// was told as tried once and as started at the moment of the cancel.
func TestCancelWhileWaitingForASlot(t *testing.T) {
	e, _ := newEngine(t, WithMaxParallel(1))
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var once sync.Once
	var log eventLog
	obs := ObserverFunc(func(ev Event) {
		log.Event(ev)
		if ev.Kind == EventStepStarted {
			once.Do(func() { cancel(ops.WithClass(ops.ClassCancelled, errors.New("interrupted by SIGINT"))) })
		}
	})
	rep, err := plan(t, e, header+`
steps:
  - {id: a, op: control.sleep, with: {duration: 1h}, needs: []}
  - {id: b, op: control.sleep, with: {duration: 1h}, needs: []}
  - {id: c, op: control.sleep, with: {duration: 1h}, needs: []}
`).Run(ctx, nil, WithRunObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	notStarted := map[string]bool{}
	for _, ev := range log.kinds(EventStepFinished) {
		notStarted[ev.Step] = ev.NotStarted
	}
	ran := 0
	for _, s := range rep.Steps {
		if s.Status != report.StatusCancelled {
			t.Errorf("%s: %s, want cancelled", s.ID, s.Status)
		}
		if s.StartedAt != nil {
			ran++
			if notStarted[s.ID] {
				t.Errorf("%s started, but its step_finished says not_started", s.ID)
			}
			continue
		}
		if s.Attempts != 0 || !strings.HasPrefix(s.Reason, "not started: interrupted by SIGINT") {
			t.Errorf("%s: %d attempts, reason %q; want none, not started: interrupted by SIGINT", s.ID, s.Attempts, s.Reason)
		}
		if !notStarted[s.ID] {
			t.Errorf("%s did not start, but its step_finished lacks not_started", s.ID)
		}
	}
	if ran != 1 {
		t.Errorf("%d steps started, want the 1 that had the slot", ran)
	}
}
