package server

import "testing"

// TestStartAnswersRunningWhenASlotIsFree: on a server with free run slots
// (the test server's --max-running is 4) the answer to a POST that starts
// a run says running, not queued, each time; with every slot taken, the
// next run's answer says queued and where it waits, as its report does.
// The answers are checked against the RunStarted schema.
func TestStartAnswersRunningWhenASlotIsFree(t *testing.T) {
	ts := newTestServer(t)
	for i := range 4 {
		got := ts.post("admin", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)
		if got["status"] != "running" || got["waiting"] != nil {
			t.Errorf("run %d of 4 slots: status %v, waiting %v; want running, no waiting", i+1, got["status"], got["waiting"])
		}
	}
	got := ts.post("admin", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)
	w, _ := got["waiting"].(map[string]any)
	if got["status"] != "queued" || w == nil || w["for"] != "max_running" || w["ahead"] != 0.0 || w["max_running"] != 4.0 {
		t.Errorf("run behind 4 taken slots: status %v, waiting %v; want queued, for max_running, 0 ahead", got["status"], w)
	}
}

// TestStartOfAGroupRunAnswersRunningWhenItStartsAtOnce: a run of a
// concurrency group that is free, on a server with free slots, starts at
// once, and the answer to its POST says running, not queued; a second
// run of the group, which waits for it, says queued and what for.
func TestStartOfAGroupRunAnswersRunningWhenItStartsAtOnce(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "grouped.yaml", `version: 1
name: grouped
concurrency: {group: deploy, policy: queue}
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`)
	got := ts.post("admin", "/api/v1/playbooks/grouped/runs", map[string]any{}).want(t, 202).json(t)
	if got["status"] != "running" || got["waiting"] != nil {
		t.Errorf("a run of a free group: status %v, waiting %v; want running, no waiting", got["status"], got["waiting"])
	}
	second := ts.post("admin", "/api/v1/playbooks/grouped/runs", map[string]any{}).want(t, 202).json(t)
	w, _ := second["waiting"].(map[string]any)
	if second["status"] != "queued" || w == nil || w["for"] != "concurrency_group" || w["group"] != "deploy" {
		t.Errorf("a run of a busy group: status %v, waiting %v; want queued, for concurrency_group deploy", second["status"], w)
	}
	for _, a := range []map[string]any{got, second} {
		ts.post("admin", "/api/v1/runs/"+a["run_id"].(string)+"/cancel", nil).want(t, 202)
	}
}
