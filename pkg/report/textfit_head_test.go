package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// TestTextRunLineFitsTheTerminal: the summary's first line (a long
// playbook name, the run id, what was ignored or rescued) wraps at spaces
// within the width, as the step table does; piped (no width), it stays
// one line.
func TestTextRunLineFitsTheTerminal(t *testing.T) {
	at := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "20261205T161217-8f9b2945e9ad4ac44e1d702ab9e1019b",
		Playbook: Playbook{Name: "nightly-database-maintenance-for-the-eu-west-cluster"}, Status: StatusSucceeded,
		StartedAt: at, FinishedAt: at.Add(time.Second), DurationMS: 1000,
		Steps: []Step{{ID: "vacuum", Op: "control.log", Section: "steps", Status: StatusFailed, Ignored: true, StartedAt: &at, Attempts: 1,
			Error: &Error{Class: "execution", Message: "busy"}}}}
	head := func(width int) []string {
		var b bytes.Buffer
		if err := WriteTextFit(&b, r, width); err != nil {
			t.Fatal(err)
		}
		before, _, _ := strings.Cut(b.String(), "     STEP")
		return strings.Split(strings.TrimSuffix(before, "\n"), "\n")
	}
	lines := head(60)
	if len(lines) < 2 {
		t.Fatalf("not wrapped at 60 columns: %q", lines)
	}
	for _, l := range lines {
		if termtext.Width(l) > 60 {
			t.Errorf("a line of %d columns: %q", termtext.Width(l), l)
		}
	}
	if got := strings.Join(strings.Fields(strings.Join(lines, " ")), " "); got != strings.Join(head(0), " ") {
		t.Errorf("wrapped, the line reads\n%s\nnot\n%s", got, head(0)[0])
	}
}
