package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTextFoldsSucceededStepsOnATerminal: on a terminal, a summary of
// thousands of steps folds the runs of steps that succeeded into a row
// each, so that the one that failed shows among a few rows instead of
// somewhere in thousands; piped, every step keeps its row.
func TestTextFoldsSucceededStepsOnATerminal(t *testing.T) {
	at := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "big"}, Status: StatusFailed,
		StartedAt: at, FinishedAt: at.Add(time.Second), DurationMS: 1000}
	for i := range 5000 {
		s := Step{ID: fmt.Sprintf("s%d", i), Op: "control.set", Section: "steps", Status: StatusSucceeded, StartedAt: &at, Attempts: 1}
		switch i {
		case 2500:
			s.Status, s.Error = StatusFailed, &Error{Class: "execution", Message: "disk full on db-07"}
		case 2501, 2502:
			s.Status, s.Reason = StatusSkipped, "a need did not succeed"
		}
		r.Steps = append(r.Steps, s)
	}
	text := func(width int) []string {
		var b bytes.Buffer
		if err := WriteTextFit(&b, r, width); err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	}
	lines := text(120)
	if len(lines) > 10 {
		t.Fatalf("%d lines on a terminal, want the runs of succeeded steps folded:\n%s", len(lines), strings.Join(lines[:20], "\n"))
	}
	body := strings.Join(lines, "\n")
	for _, want := range []string{
		"s0 … s2499", "2500 steps succeeded",
		"✗  s2500", "disk full on db-07",
		"-  s2501", "-  s2502",
		"s2503 … s4999", "2497 steps succeeded",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the summary lacks %q:\n%s", want, body)
		}
	}
	if piped := text(0); len(piped) != 5000+2 {
		t.Errorf("piped, %d lines, want the status line, the header and a row per step", len(piped))
	}
	// A short table is never folded.
	r.Steps = r.Steps[2490:2510]
	if got := text(120); len(got) != 20+2 {
		t.Errorf("%d lines for 20 steps, want a row each:\n%s", len(got), strings.Join(got, "\n"))
	}
}
