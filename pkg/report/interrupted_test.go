package report

import (
	"bytes"
	"strings"
	"testing"
)

// A run whose replica died is recorded interrupted; the report kept of it
// (which `remote run --follow` prints when the run it follows ends so)
// shows that status with its own mark in the text and Markdown
// summaries, as `history` does, not the "unknown" one.
func TestSummariesMarkAnInterruptedRun(t *testing.T) {
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "deploy"}, Status: Status("interrupted"),
		StartedAt: goldenStart, FinishedAt: goldenStart, DurationMS: 2700,
		Error: &Error{Class: "system", Message: "interrupted: the arsenal-run process recording this run ended"},
	}
	text := renderText(t, r)
	if first, _, _ := strings.Cut(text, "\n"); !strings.HasPrefix(first, "↯ deploy interrupted after at least 2.7s") {
		t.Errorf("text summary's first line: %q, want it to start with ↯", first)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "### ⚠️ `deploy` interrupted") {
		t.Errorf("Markdown summary does not mark the interrupted run:\n%s", md.String())
	}
}
