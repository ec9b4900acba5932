package history

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestWriteRunSaysAnItemNeverStarted: 'history show' gives an item that
// never started its reason ("not started: interrupted by SIGINT"), as the
// summary of 'run' does, and one that was cut while it ran its error.
func TestWriteRunSaysAnItemNeverStarted(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusCancelled, StartedAt: at}
	zero, one := 0, 1
	rows := []StepRow{
		{StepID: "nap", Section: "steps", Kind: "step", Attempt: 1, Op: "control.sleep", Status: report.StatusCancelled, ErrorClass: "cancelled", StartedAt: &at},
		{StepID: "nap", Section: "steps", Kind: "item", Item: &zero, Attempt: 1, Op: "control.sleep", Status: report.StatusCancelled, ErrorClass: "cancelled", StartedAt: &at},
		{StepID: "nap", Section: "steps", Kind: "item", Item: &one, Op: "control.sleep", Status: report.StatusCancelled, ErrorClass: "cancelled"},
	}
	sigint := &report.Error{Class: "cancelled", Message: "interrupted by SIGINT"}
	rep := &report.Report{RunID: "r", Status: report.StatusCancelled, Steps: []report.Step{
		{ID: "nap", Op: "control.sleep", Section: "steps", Status: report.StatusCancelled, Error: sigint, Items: []report.Item{
			{Index: 0, Label: "a", Status: report.StatusCancelled, Attempts: 1, StartedAt: &at, Error: sigint, Reason: "cancelled: interrupted by SIGINT"},
			{Index: 1, Label: "b", Status: report.StatusCancelled, Error: sigint, Reason: "not started: interrupted by SIGINT"},
		}},
	}}
	var b strings.Builder
	if err := WriteRunReport(&b, run, rows, rep, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"nap[a]": "cancelled: interrupted by SIGINT", "nap[b]": "not started: interrupted by SIGINT"}
	for _, l := range strings.Split(b.String(), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(l), " ")
		if w, ok := want[name]; ok {
			if !strings.HasSuffix(strings.TrimRight(l, " "), w) {
				t.Errorf("row %q: want it to end %q", l, w)
			}
			delete(want, name)
		}
	}
	if len(want) > 0 {
		t.Errorf("no rows for %v:\n%s", want, b.String())
	}
}
