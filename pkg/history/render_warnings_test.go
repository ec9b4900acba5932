package history

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestWriteRunShowsWarningsAndBudgets: 'history show' says what the run's
// report says of the run as a whole: its warnings, and what its budgets
// for tries' error messages and outputs cut; --json has them in the run
// object as the report names them. Before, only the JSON report had them.
func TestWriteRunShowsWarningsAndBudgets(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusFailed, StartedAt: at}
	rows := []StepRow{{StepID: "a", Section: "steps", Kind: "step", Attempt: 1, Op: "shell.exec", Status: report.StatusFailed, ErrorClass: "execution", StartedAt: &at}}
	const w = "the playbook's file roll.yaml changed since it was loaded, and this run runs it as loaded"
	rep := &report.Report{RunID: "r", Status: report.StatusFailed, Warnings: []string{w},
		AttemptBudget: &report.AttemptBudget{LimitBytes: 4 << 20, KeptBytes: 4 << 20, CutMessages: 7, CutBytes: 4242},
		OutputBudget:  &report.OutputBudget{LimitBytes: 64 << 20, KeptBytes: 64 << 20, CutOutputs: 2, CutBytes: 99}}
	var b strings.Builder
	if err := WriteRunReport(&b, run, rows, rep, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"warning   " + w + "\n",
		"tries     7 error messages of tries cut (4242 bytes): over the run's budget of 4 MiB for them\n",
		"outputs   2 outputs cut (99 bytes): over the run's budget of 64 MiB for them\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := WriteRunReport(&b, run, rows, rep, true); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Run struct {
			Warnings      []string              `json:"warnings"`
			AttemptBudget *report.AttemptBudget `json:"attempt_budget"`
			OutputBudget  *report.OutputBudget  `json:"output_budget"`
		} `json:"run"`
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Run.Warnings) != 1 || got.Run.Warnings[0] != w {
		t.Errorf("--json warnings %q, want the report's", got.Run.Warnings)
	}
	if a := got.Run.AttemptBudget; a == nil || *a != *rep.AttemptBudget {
		t.Errorf("--json attempt_budget %+v, want %+v", a, rep.AttemptBudget)
	}
	if o := got.Run.OutputBudget; o == nil || *o != *rep.OutputBudget {
		t.Errorf("--json output_budget %+v, want %+v", o, rep.OutputBudget)
	}

	// Without them, nothing is said.
	rep.Warnings, rep.AttemptBudget, rep.OutputBudget = nil, nil, nil
	b.Reset()
	if err := WriteRunReport(&b, run, rows, rep, false); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "warning ") || strings.Contains(s, "budget") {
		t.Errorf("a run without warnings or cuts says:\n%s", s)
	}
	b.Reset()
	if err := WriteRunReport(&b, run, rows, rep, true); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "warnings") || strings.Contains(s, "budget") {
		t.Errorf("--json of a run without warnings or cuts says:\n%s", s)
	}
}
