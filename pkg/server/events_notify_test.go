package server

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestToldStepSaysWhatANotifyEntryReached: the step_finished told of a
// notify entry of a run another process ran says what its message
// reached, from the final report (an older one's read from its output),
// as the engine's event does; from the history of a run going on, which
// has no output to read it from, it says nothing rather than "not sent"
// of an email two of three recipients got.
func TestToldStepSaysWhatANotifyEntryReached(t *testing.T) {
	mail := report.Step{ID: "mail", Op: "notify.email", Section: "notify", Status: report.StatusFailed, Attempts: 1,
		Error:  &report.Error{Class: "validation", Message: "notify.email: refused: bad@example.com"},
		Output: map[string]any{"recipients": float64(2), "refused": []any{"bad@example.com: 550"}}}
	want := report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}
	for _, older := range []bool{false, true} {
		st := mail
		if !older {
			st.Notification = &want
		}
		rep := &report.Report{RunID: "r1", Status: report.StatusSucceeded, Steps: []report.Step{st}}
		if _, fin := toldStep(rep, st); fin.Notification == nil || *fin.Notification != want {
			t.Errorf("older %v: step_finished has notification %+v; want %+v", older, fin.Notification, want)
		}
	}
	going := mail
	going.Output = nil
	rep := &report.Report{RunID: "r1", Status: history.StatusRunning, Steps: []report.Step{going}}
	if _, fin := toldStep(rep, going); fin.Notification != nil {
		t.Errorf("from the history of a run going on: notification %+v; want none", fin.Notification)
	}
}
