package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestLiveViewCountsAConfirmedStepFromTheAnswer: a step whose confirm:
// question waited a minute for its yes runs from the answer on; its row
// counts from there, as its finished line and the report do, not from
// the question (it read "⋯ ask 1m2s" for a step that finished in 2.0s).
func TestLiveViewCountsAConfirmedStepFromTheAnswer(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	defer v.close()
	now := time.Now()
	ev := func(e engine.Event, at time.Time) { e.RunID, e.Time = "r", at; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted}, now.Add(-time.Minute))
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "ask", Op: "shell.exec"}, now.Add(-time.Minute))
	ev(engine.Event{Kind: engine.EventConfirmAsked, Step: "ask", Op: "shell.exec", Message: "restart?"}, now.Add(-time.Minute))
	ev(engine.Event{Kind: engine.EventConfirmAnswered, Step: "ask", Op: "shell.exec", Answer: "yes"}, now)
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	got := out.String()
	if !strings.Contains(got, "⋯ ask ") || strings.Contains(got, "⋯ ask 1m") || strings.Contains(got, "⋯ ask 59") {
		t.Errorf("a step answered yes just now counts the minute its question waited:\n%s", got)
	}
}

// TestLiveViewSkippedStepHasNoTime: a step skipped at once (when: is
// false, or a step it needs failed) did no work; its line shows a dash,
// as the run's summary does, not "0ms".
func TestLiveViewSkippedStepHasNoTime(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	ev := func(e engine.Event) { e.RunID, e.Time = "r", time.Now(); v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "after", Op: "control.noop"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "after", Op: "control.noop", Status: "skipped", Reason: "needs bad, which failed"})
	v.close()
	got := out.String()
	if strings.Contains(got, "0ms") || !strings.Contains(got, "skipped    –") {
		t.Errorf("a skipped step's line:\n%s", got)
	}
}
