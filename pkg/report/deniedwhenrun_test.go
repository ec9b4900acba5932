package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestDeniedWhenRunRenders: a step and a fan-out item denied when they
// ran (their decision allowed: false, denied_when_run) read as denied
// when run in the text summary, the HTML report and JUnit, naming the
// rule that allowed the operation; a report written before the decision
// recorded it (allowed: true beside the error) reads as it did.
func TestDeniedWhenRunRenders(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	msg := "denied: path \"/etc/motd\" is outside the allowed file roots"
	d := &Decision{Rule: "role ops: max_risk write", Via: "direct", DeniedWhenRun: true, Refusal: strings.TrimPrefix(msg, "denied: ")}
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "p"}, Roles: []string{"ops"},
		Inputs: map[string]any{}, Outputs: map[string]any{}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start,
		Steps: []Step{
			{ID: "write", Op: "file.write", Section: "steps", Status: StatusDenied, StartedAt: &start, Attempts: 1,
				Reason: msg, Error: &Error{Class: ClassAuthorization, Message: msg}, Authorization: d},
			{ID: "fan", Op: "file.write", Section: "steps", Status: StatusDenied, StartedAt: &start, Attempts: 1,
				Error: &Error{Class: ClassAuthorization, Message: "item motd (#1): " + msg}, Authorization: d,
				ItemCounts: map[Status]int{StatusSucceeded: 1, StatusDenied: 1},
				Items: []Item{
					{Index: 0, Item: "app/a", Label: "a", Status: StatusSucceeded, StartedAt: &start, Attempts: 1},
					{Index: 1, Item: "/etc/motd", Label: "motd", Status: StatusDenied, StartedAt: &start, Attempts: 1,
						Error: &Error{Class: ClassAuthorization, Message: msg}, Authorization: d},
				}},
		},
		Error: &Error{Class: ClassAuthorization, Message: msg},
	}
	var text bytes.Buffer
	if err := WriteTextFit(&text, r, 200); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(text.String(), "authorization: denied when it ran: path"); n != 2 {
		t.Errorf("the text summary says denied when it ran %d times, want on the step's row and the item's:\n%s", n, text.String())
	}
	page := renderHTML(t, r)
	want := "denied when it ran: <code>role ops: max_risk write</code> allowed the operation, but what it was given was refused (the error below)"
	if strings.Count(page, want) != 2 || strings.Contains(page, "allowed by <code>") {
		t.Errorf("the HTML report does not say %q for both steps (and no allowed by):\n%s", want, page)
	}
	if !strings.Contains(page, "authorization: denied when it ran: path") {
		t.Errorf("the HTML report's item row does not say it was denied when it ran")
	}
	var junit bytes.Buffer
	if err := WriteJUnit(&junit, r); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(junit.String(), `message="denied when it ran: path`); n != 2 {
		t.Errorf("JUnit says denied when it ran %d times, want for the step and the item:\n%s", n, junit.String())
	}

	// An older report: allowed, with the error beside it.
	r.Steps = r.Steps[:1]
	r.Steps[0].Authorization = &Decision{Allowed: true, Rule: "role ops: max_risk write", Via: "direct"}
	text.Reset()
	if err := WriteTextFit(&text, r, 200); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "authorization: denied: path") || strings.Contains(text.String(), "when it ran") {
		t.Errorf("an older report's summary changed:\n%s", text.String())
	}
	if page := renderHTML(t, r); !strings.Contains(page, "allowed by <code>role ops: max_risk write</code>; what it was given was refused when it ran") {
		t.Errorf("an older report's HTML changed:\n%s", page)
	}
}
