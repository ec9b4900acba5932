package report

import (
	"strings"
	"testing"
	"time"
)

// TestJUnitPassedAfterRetriesListsTheFailedAttempts: a step, or a fan-out
// item, that passed only on its third try is a passed testcase, but its
// output says why the first two failed, as the HTML report does: a CI page
// shows a flaky step as green, and its reader must be able to see what
// made it retry without opening another file.
func TestJUnitPassedAfterRetriesListsTheFailedAttempts(t *testing.T) {
	start := goldenStart
	log := []Attempt{
		{Attempt: 1, StartedAt: start, DurationMS: 5, Error: &Error{Class: "execution", Message: "exit code 1; stderr ends with:\nconnection refused by db-1"}},
		{Attempt: 2, StartedAt: start.Add(10 * time.Millisecond), DurationMS: 5, Error: &Error{Class: "timeout", Message: "step timeout of 5ms exceeded"}},
		{Attempt: 3, StartedAt: start.Add(20 * time.Millisecond), DurationMS: 5},
	}
	step := Step{ID: "migrate", Op: "shell.exec", Section: "steps", Status: StatusSucceeded, StartedAt: &start,
		Attempts: 3, AttemptLog: log}
	fan := Step{ID: "fan", Op: "shell.exec", Section: "steps", Status: StatusSucceeded, StartedAt: &start, Attempts: 3,
		Items: []Item{{Index: 0, Item: "web-1", Label: "web-1", Status: StatusSucceeded, StartedAt: &start, Attempts: 3, AttemptLog: log}}}
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded,
		StartedAt: start, FinishedAt: start, Steps: []Step{step, fan}}
	doc, data := parseJUnit(t, r)
	validateXSD(t, data)
	for _, c := range doc.Suites[0].Cases {
		if c.Name != "migrate" && c.Name != "fan[web-1]" {
			continue
		}
		if o := outcome(c); o != "passed" {
			t.Errorf("%s: %s, want passed: it succeeded", c.Name, o)
		}
		out := strings.Join(c.SystemOut, "\n")
		for _, want := range []string{"2 of 3 attempts failed before it succeeded",
			"1. at +0ms for 5ms: failed: execution: exit code 1; stderr ends with: connection refused by db-1",
			"2. at +10ms for 5ms: failed: timeout: step timeout of 5ms exceeded",
			"3. at +20ms for 5ms: succeeded"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output does not say %q:\n%s", c.Name, want, out)
			}
		}
	}
}
