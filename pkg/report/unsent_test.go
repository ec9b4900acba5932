package report

import (
	"strings"
	"testing"
)

// TestSummarySaysANotificationWasNotSent: a run that succeeded while its
// notification failed says so on its first line: which entry was not
// sent, and that the run's result stands.
func TestSummarySaysANotificationWasNotSent(t *testing.T) {
	r := &Report{RunID: "r1", Status: StatusSucceeded, Playbook: Playbook{Name: "nightly"}, Steps: []Step{
		{ID: "a", Op: "control.noop", Section: "steps", Status: StatusSucceeded, Attempts: 1},
		{ID: "notify_1", Op: "notify.webhook", Section: "notify", Status: StatusFailed, Attempts: 1,
			Error: &Error{Class: "execution", Message: "connection refused"}},
		{ID: "mail", Op: "notify.email", Section: "notify", Status: StatusSkipped},
	}}
	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(b.String(), "\n")
	want := "; not sent: notify notify_1 (the run's result does not depend on it)"
	if !strings.HasSuffix(first, want) {
		t.Errorf("first line %q; want it to end %q", first, want)
	}
}

// TestSummaryTellsAMailSomeRecipientsGot: an email two of three
// recipients got is listed as sent to part of them, with how many, not as
// not sent; so is one in a report written before steps recorded their
// notification, read from its output.
func TestSummaryTellsAMailSomeRecipientsGot(t *testing.T) {
	for name, s := range map[string]Step{
		"recorded": {Notification: &Notification{Sent: SentSome, Recipients: 2, Of: 3}},
		"older":    {Output: map[string]any{"recipients": float64(2), "refused": []any{"bad@example.com: 550 no such user"}}},
	} {
		s.ID, s.Op, s.Section, s.Status, s.Attempts = "mail", "notify.email", "notify", StatusFailed, 1
		s.Error = &Error{Class: "validation", Message: "notify.email: sent to 2 of 3 recipients; refused: bad@example.com: 550 no such user"}
		r := &Report{RunID: "r1", Status: StatusSucceeded, Playbook: Playbook{Name: "nightly"}, Steps: []Step{s}}
		var b strings.Builder
		if err := WriteText(&b, r); err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(b.String(), "\n")
		if want := "; sent to part of their recipients: notify mail (2 of 3)"; !strings.HasSuffix(first, want) || strings.Contains(first, "not sent") {
			t.Errorf("%s: first line %q; want it to end %q", name, first, want)
		}
	}
}
