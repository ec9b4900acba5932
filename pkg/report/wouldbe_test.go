package report

import (
	"strings"
	"testing"
	"time"
)

// TestDryRunShowsEveryStepThatWouldBeDenied: a dry run is a permission
// check, and a step skipped because an earlier one was denied may be
// refused too; the text summary, Markdown and JUnit say so in its note,
// so that a reader fixes the policy once, not once a step.
func TestDryRunShowsEveryStepThatWouldBeDenied(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rule := "no rule of role viewer allows file.delete (risk destructive)"
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "p"}, Roles: []string{"viewer"},
		Inputs: map[string]any{}, Outputs: map[string]any{}, Status: StatusFailed, DryRun: true,
		StartedAt: start, FinishedAt: start,
		Steps: []Step{
			{ID: "migrate", Op: "shell.exec", Section: "steps", Status: StatusDenied, Reason: "denied: x",
				Error:         &Error{Class: ClassAuthorization, Message: "x"},
				Authorization: &Decision{Rule: "x", Via: "direct"}},
			{ID: "remove", Op: "file.delete", Section: "steps", Status: StatusSkipped, Reason: "needs migrate, which was denied",
				Authorization: &Decision{Rule: rule, Via: "direct"}},
			{ID: "look", Op: "file.stat", Section: "steps", Status: StatusSkipped, Reason: "needs migrate, which was denied",
				Authorization: &Decision{Allowed: true, Rule: "role viewer: max_risk read", Via: "direct"}},
		},
		Error: &Error{Class: ClassAuthorization, Message: "step migrate denied: x"},
	}
	want := "needs migrate, which was denied; would be denied: " + rule
	if row := lineWith(renderText(t, r), "remove "); !strings.Contains(row, want) {
		t.Errorf("text row of remove = %q, want it to say %q", row, want)
	}
	if row := lineWith(renderText(t, r), "look "); strings.Contains(row, "would be denied") {
		t.Errorf("text row of look = %q, an allowed step said denied", row)
	}
	if row := lineWith(renderMarkdown(t, r), "| `remove` |"); !strings.Contains(row, "would be denied: no rule of role viewer allows file.delete (risk destructive)") {
		t.Errorf("Markdown row of remove = %q, want it to say it would be denied", row)
	}
	doc, _ := parseJUnit(t, r)
	for _, c := range doc.Suites[0].Cases {
		if c.Name == "remove" && (c.Skipped == nil || c.Skipped.Message != want) {
			t.Errorf("JUnit remove: skipped = %+v, want the message %q", c.Skipped, want)
		}
	}
}

// TestRefusedWhenRanIsNotAllowed: a step whose operation the role's rule
// allowed but whose target was refused when it ran (file.write outside
// the role's file_roots) does not read "allowed" beside its denial in the
// HTML report: the authorization fact says what was refused, and a reason
// that only repeats the error is not shown twice.
func TestRefusedWhenRanIsNotAllowed(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	msg := "denied: /etc/motd is outside the role's file_roots [/srv/app]"
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "p"}, Roles: []string{"ops"},
		Inputs: map[string]any{}, Outputs: map[string]any{}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start,
		Steps: []Step{
			{ID: "write", Op: "file.write", Section: "steps", Status: StatusDenied, StartedAt: &start, Attempts: 1,
				Reason: msg, Error: &Error{Class: ClassAuthorization, Message: msg},
				Authorization: &Decision{Allowed: true, Rule: "role ops: max_risk write", Via: "direct"}},
			{ID: "gate", Op: "shell.exec", Section: "steps", Status: StatusDenied, Reason: "denied: no rule of role ops allows shell.exec",
				Error:         &Error{Class: ClassAuthorization, Message: "step gate denied: no rule of role ops allows shell.exec"},
				Authorization: &Decision{Rule: "no rule of role ops allows shell.exec", Via: "direct"}},
		},
		Error: &Error{Class: ClassAuthorization, Message: msg},
	}
	page := renderHTML(t, r)
	write, gate, _ := strings.Cut(page[strings.Index(page, `id="step-write"`):], `id="step-gate"`)
	want := "allowed by <code>role ops: max_risk write</code>; what it was given was refused when it ran (the error below)"
	if !strings.Contains(write, want) {
		t.Errorf("the HTML details of write do not say %q:\n%s", want, write)
	}
	if strings.Contains(write, "<dt>Reason</dt>") {
		t.Errorf("the HTML details of write repeat the error as its reason:\n%s", write)
	}
	if strings.Contains(gate, "refused when it ran") || !strings.Contains(gate, "<dt>Reason</dt>") {
		t.Errorf("the HTML details of a step its rule denied:\n%s", gate)
	}
}
