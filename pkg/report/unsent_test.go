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
