package server

import "testing"

// TestQueuedRunSaysWhyItWaits: with every run slot taken (the test
// server's --max-running is 4), two runs queued behind them (of two
// callers: one may hold half the places to wait in) are listed and
// reported queued with where it stands: waiting for a run slot under
// --max-running, and how many runs are ahead of it. The report is checked
// against the RunReport schema, the list against Runs.
func TestQueuedRunSaysWhyItWaits(t *testing.T) {
	ts := newTestServer(t)
	for range 4 {
		ts.post("admin", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202)
	}
	first := ts.post("admin", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	second := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	check := func(what string, got map[string]any, ahead float64) {
		t.Helper()
		w, _ := got["waiting"].(map[string]any)
		if got["status"] != "queued" || w == nil || w["for"] != "max_running" || w["ahead"] != ahead || w["max_running"] != 4.0 {
			t.Errorf("%s: status %v, waiting %v; want queued, for max_running, %v ahead, max_running 4", what, got["status"], w, ahead)
		}
	}
	check("report of the first queued", ts.get("admin", "/api/v1/runs/"+first).want(t, 200).json(t), 0)
	check("report of the second queued", ts.get("admin", "/api/v1/runs/"+second).want(t, 200).json(t), 1)
	running := 0
	for _, r := range ts.get("admin", "/api/v1/runs?playbook=sleeper").want(t, 200).json(t)["runs"].([]any) {
		run := r.(map[string]any)
		switch run["id"] {
		case first:
			check("listed first", run, 0)
		case second:
			check("listed second", run, 1)
		default:
			if run["waiting"] != nil {
				t.Errorf("run %v, %v, has waiting %v", run["id"], run["status"], run["waiting"])
			}
			running++
		}
	}
	if running != 4 {
		t.Errorf("%d other runs listed, want the 4 running", running)
	}
}
