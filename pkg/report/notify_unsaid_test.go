package report

import (
	"strings"
	"testing"
)

// TestNotifyNoteDoesNotRepeatTheError: the row of a notify entry whose
// run summary went to some of its recipients does not say again what its
// error says ("sent to 1 of 2 recipients", the run summary that stood
// in), in the text summary and in JUnit. Before, the row read "sent to 1
// of 2 recipients with the run summary in place of its own text;
// validation: notify.email: sent to 1 of 2 recipients; …".
func TestNotifyNoteDoesNotRepeatTheError(t *testing.T) {
	msg := "notify.email: sent to 1 of 2 recipients; refused: x@bad.example; the run summary had stood in for what could not be computed: body: no such key"
	r := &Report{RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded, Steps: []Step{
		{ID: "a", Section: "steps", Op: "control.noop", Status: StatusSucceeded, Attempts: 1},
		{ID: "mail", Section: "notify", Op: "notify.email", Status: StatusFailed, Attempts: 1, Reason: SummarySent,
			Error:        &Error{Class: "validation", Message: msg},
			Notification: &Notification{Sent: SentSome, Summary: true, Recipients: 1, Of: 2}},
	}}
	var text, junit strings.Builder
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&junit, r); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(text.String(), "\n") {
		if strings.Contains(line, "notify/mail") && (strings.Count(line, "sent to 1 of 2") != 1 || !strings.Contains(line, "validation: notify.email: sent to 1 of 2")) {
			t.Errorf("the text row repeats what the error says, or lacks it:\n%s", line)
		}
	}
	if !strings.Contains(junit.String(), `<failure message="notify.email: sent to 1 of 2 recipients;`) {
		t.Errorf("the JUnit failure repeats what the error says:\n%s", junit.String())
	}
	for _, c := range []struct {
		said, want string
	}{
		{msg, ""},
		{"notify.email: sent to 1 of 2 recipients; refused: x", "sent with the run summary in place of its own text"},
		{"the run summary had stood in for: body", "sent to 1 of 2 recipients"},
		{"refused", "sent to 1 of 2 recipients with the run summary in place of its own text"},
	} {
		if got := NotificationUnsaid(&Notification{Sent: SentSome, Summary: true, Recipients: 1, Of: 2}, c.said); got != c.want {
			t.Errorf("NotificationUnsaid(%q) = %q, want %q", c.said, got, c.want)
		}
	}
}
