package server

import (
	"testing"
)

// TestRunningReportHasNoFinishedAt: the report of a run still going has
// no finished_at (not the zero time); the final report has one.
func TestRunningReportHasNoFinishedAt(t *testing.T) {
	ts := newTestServer(t)
	id := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(id)
	waitEvent(t, h, "step_started", "nap")
	rep := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200).json(t)
	if rep["status"] != "running" || rep["started_at"] == nil {
		t.Errorf("status %v, started_at %v", rep["status"], rep["started_at"])
	}
	if v, ok := rep["finished_at"]; ok {
		t.Errorf("a running run has finished_at %v", v)
	}
	h.Cancel(nil)
	<-h.Done()
	final := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200).json(t)
	if v, _ := final["finished_at"].(string); v == "" || v == "0001-01-01T00:00:00Z" {
		t.Errorf("the final report has finished_at %v", final["finished_at"])
	}
}
