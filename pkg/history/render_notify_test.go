package history

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestWriteRunSaysWhatANotifyEntryReached: 'history show' says of a
// notify entry what its message reached, as the summary of 'run' does:
// the notes of its first line under the run, "sent to 2 of 3 recipients"
// or "not sent" on the entry's row, and --json the notification; for a
// report that records it and for an older one read from its output.
func TestWriteRunSaysWhatANotifyEntryReached(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusSucceeded, StartedAt: at}
	rows := []StepRow{
		{StepID: "mail", Section: "notify", Kind: "step", Attempt: 1, Op: "notify.email", Status: report.StatusFailed, ErrorClass: "validation", StartedAt: &at},
		{StepID: "down", Section: "notify", Kind: "step", Attempt: 1, Op: "notify.webhook", Status: report.StatusFailed, ErrorClass: "execution", StartedAt: &at},
	}
	for _, older := range []bool{false, true} {
		rep := &report.Report{RunID: "r", Status: report.StatusSucceeded, Steps: []report.Step{
			{ID: "mail", Op: "notify.email", Section: "notify", Status: report.StatusFailed, Attempts: 1,
				Error:        &report.Error{Class: "validation", Message: "notify.email: refused: bad@example.com"},
				Output:       map[string]any{"recipients": float64(2), "refused": []any{"bad@example.com"}},
				Notification: &report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}},
			{ID: "down", Op: "notify.webhook", Section: "notify", Status: report.StatusFailed, Attempts: 1,
				Error:        &report.Error{Class: "execution", Message: "connection refused"},
				Notification: &report.Notification{Sent: report.SentNone}},
		}}
		if older {
			rep.Steps[0].Notification, rep.Steps[1].Notification = nil, nil
		}
		var b strings.Builder
		if err := WriteRunReport(&b, run, rows, rep, false); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"notify    sent to part of their recipients: notify mail (2 of 3)\n",
			"notify    not sent: notify down (the run's result does not depend on it)\n",
			"sent to 2 of 3 recipients; validation: notify.email: refused: bad@example.com\n",
			"not sent; execution: connection refused\n",
		} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("older %v: lacks %q:\n%s", older, want, b.String())
			}
		}
		b.Reset()
		if err := WriteRunReport(&b, run, rows, rep, true); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Steps []struct {
				Notification *report.Notification `json:"notification"`
			} `json:"steps"`
		}
		if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
			t.Fatal(err)
		}
		if n := got.Steps[0].Notification; n == nil || *n != (report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}) {
			t.Errorf("older %v: --json gives the email the notification %+v; want sent to 2 of 3", older, n)
		}
	}
}
