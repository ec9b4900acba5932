package report

import (
	"strings"
	"testing"
)

// TestJUnitCarriesWarningsAndBudgets: the JUnit file has what the JSON
// report says of the run as a whole: its warnings, as properties
// warning.N and as lines of the suite's <system-err>, and the account of
// its budgets for tries' error messages and for outputs, as properties
// attempt_budget.* and output_budget.*, so that a CI page shows them
// without the JSON report. Before, JUnit had none of them.
func TestJUnitCarriesWarningsAndBudgets(t *testing.T) {
	start := goldenStart
	const w1 = "the playbook's file roll.yaml changed since it was loaded, and this run runs it as loaded"
	const w2 = "a second <warning> & more"
	r := &Report{ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start, Roles: []string{"operator"},
		Steps:         []Step{{ID: "a", Op: "x.y", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 3, Error: &Error{Class: "execution", Message: "broke"}}},
		Error:         &Error{Class: "execution", Message: "step a failed"},
		Warnings:      []string{w1, w2},
		AttemptBudget: &AttemptBudget{LimitBytes: 1 << 20, KeptBytes: 1000, CutMessages: 7, CutBytes: 4242},
		OutputBudget:  &OutputBudget{LimitBytes: 64 << 20, KeptBytes: 500, CutOutputs: 2, CutBytes: 99},
	}
	doc, data := parseJUnit(t, r)
	props := map[string]string{}
	for _, p := range doc.Suites[0].Properties.Props {
		props[p.Name] = p.Value
	}
	for name, want := range map[string]string{
		"warning.1": w1, "warning.2": w2,
		"attempt_budget.limit_bytes": "1048576", "attempt_budget.kept_bytes": "1000",
		"attempt_budget.cut_messages": "7", "attempt_budget.cut_bytes": "4242",
		"output_budget.limit_bytes": "67108864", "output_budget.kept_bytes": "500",
		"output_budget.cut_outputs": "2", "output_budget.cut_bytes": "99",
	} {
		if props[name] != want {
			t.Errorf("property %s is %q, want %q", name, props[name], want)
		}
	}
	errText := *doc.Suites[0].SystemErr
	for _, want := range []string{"step a failed", "warning: " + w1, "warning: " + w2} {
		if !strings.Contains(errText, want) {
			t.Errorf("system-err %q lacks %q", errText, want)
		}
	}
	validateXSD(t, data)

	// A run with neither has none of these properties.
	r.Warnings, r.AttemptBudget, r.OutputBudget = nil, nil, nil
	doc, _ = parseJUnit(t, r)
	for _, p := range doc.Suites[0].Properties.Props {
		if strings.HasPrefix(p.Name, "warning.") || strings.Contains(p.Name, "_budget.") {
			t.Errorf("a run without warnings or cuts has property %s", p.Name)
		}
	}
}
