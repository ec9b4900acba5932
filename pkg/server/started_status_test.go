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
