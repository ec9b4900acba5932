package runs

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestReplayRunFinishedHasDuration: the run_finished event told from a
// report (a queued run replaced or cancelled before it started, a run
// another replica ran) carries the report's duration, as the engine's
// does: `run` logged "duration=0ms" for a run that had waited a second
// for its concurrency group, and the event stream said 0 too.
func TestReplayRunFinishedHasDuration(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep := &report.Report{RunID: "r1", Playbook: report.Playbook{Name: "p"}, Status: report.StatusCancelled,
		StartedAt: start, FinishedAt: start.Add(1256 * time.Millisecond), DurationMS: 1256,
		Error: &report.Error{Class: "cancelled", Message: "replaced"}}
	var fin *Event
	for _, ev := range ReplayOf(rep).Events() {
		if ev.Kind == engine.EventRunFinished {
			fin = &ev
		}
	}
	if fin == nil {
		t.Fatal("no run_finished event")
	}
	if fin.DurationMS != 1256 {
		t.Errorf("run_finished duration_ms = %d, want the report's 1256", fin.DurationMS)
	}
}

// TestReplayTellsWhatANotifyEntryReached: the step_finished of a notify
// entry told from a report says what its message reached, as the
// engine's event does: an email two of three recipients got is not
// told as a bare failure, nor is an older report's entry, read from its
// output; another step has no notification.
func TestReplayTellsWhatANotifyEntryReached(t *testing.T) {
	for _, older := range []bool{false, true} {
		mail := report.Step{ID: "mail", Op: "notify.email", Section: "notify", Status: report.StatusFailed, Attempts: 1,
			Error:        &report.Error{Class: "validation", Message: "notify.email: refused: bad@example.com"},
			Output:       map[string]any{"recipients": float64(2), "refused": []any{"bad@example.com: 550"}},
			Notification: &report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}}
		if older {
			mail.Notification = nil
		}
		rep := &report.Report{RunID: "r1", Playbook: report.Playbook{Name: "p"}, Status: report.StatusSucceeded,
			Steps: []report.Step{{ID: "a", Op: "shell.exec", Section: "steps", Status: report.StatusSucceeded}, mail}}
		got := map[string]*report.Notification{}
		for _, ev := range ReplayOf(rep).Events() {
			if ev.Kind == engine.EventStepFinished {
				got[ev.Step] = ev.Notification
			}
		}
		if n := got["mail"]; n == nil || *n != (report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}) {
			t.Errorf("older %v: step_finished of mail has notification %+v; want sent to 2 of 3", older, n)
		}
		if n := got["a"]; n != nil {
			t.Errorf("older %v: step_finished of a has notification %+v; want none", older, n)
		}
	}
}
