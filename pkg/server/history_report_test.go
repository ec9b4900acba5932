package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestExecuteReportTellsTheStepError: the report of an execute, which is
// told from history (no report file is written for it), gives the failed
// step's error text, not a pointer to a report there is none of; and
// where history has no text, it says so and where the text is.
func TestExecuteReportTellsTheStepError(t *testing.T) {
	ts := newTestServer(t)
	e := ts.post("operator", "/api/v1/operations/control.fail/execute", map[string]any{"params": map[string]any{"message": "boom-7f3"}}).wantError(t, 422, ClassExecution)
	id := e["run_id"].(string)
	rep := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200).json(t)
	steps := rep["steps"].([]any)
	if len(steps) != 1 {
		t.Fatalf("steps: %v", steps)
	}
	stepErr, _ := steps[0].(map[string]any)["error"].(map[string]any)
	msg, _ := stepErr["message"].(string)
	if stepErr["class"] != "execution" || !strings.Contains(msg, "boom-7f3") || strings.Contains(msg, "step op") {
		t.Errorf("the step's error: %v, want class execution and the text boom-7f3", stepErr)
	}

	// Without the run's error, the text is not kept: the answer says so.
	store := ts.mgr.Service().History()
	run, err := store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	run.Error = nil
	got := fromHistory(context.Background(), store, run).Steps[0].Error.Message
	if !strings.Contains(got, "not kept") || !strings.Contains(got, "audit log") {
		t.Errorf("no text in history: %q", got)
	}
	// A playbook's run whose report cannot be read says that.
	other := history.Run{ID: id, Path: "playbooks/x.yaml", Status: report.StatusFailed, StartedAt: time.Now()}
	if got := fromHistory(context.Background(), store, other).Steps[0].Error.Message; !strings.Contains(got, "report cannot be read") {
		t.Errorf("a playbook run without its report: %q", got)
	}
}

// TestFromHistoryLeavesNestedRows: a run told from its history rows has
// the top-level steps alone, not those of its sub-playbooks ("call/say"),
// which the report nests under their playbook.run step.
func TestFromHistoryLeavesNestedRows(t *testing.T) {
	store, err := history.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	at := time.Now()
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: "n1", Playbook: report.Playbook{Name: "main", Path: "main.yaml"},
		Status: report.StatusSucceeded, StartedAt: at, FinishedAt: at,
		Steps: []report.Step{{ID: "call", Op: "playbook.run", Section: "steps", Status: report.StatusSucceeded, StartedAt: &at, Attempts: 1,
			Sub: &report.SubRun{RunID: "n2", Status: report.StatusSucceeded, Steps: []report.Step{
				{ID: "say", Op: "shell.exec", Section: "steps", Status: report.StatusSucceeded, StartedAt: &at, Attempts: 1}}}}}}
	if err := store.RecordFinish(context.Background(), rep, "", ""); err != nil {
		t.Fatal(err)
	}
	run, err := store.Get(context.Background(), "n1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range fromHistory(context.Background(), store, run).Steps {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != "call" {
		t.Errorf("steps told from history: %v", ids)
	}
}
