package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRemoteRunsMarksTheStatus: 'remote runs' marks each status as
// 'history' does (✓ succeeded, ✗ failed, … running), so a failed run
// stands out in either list.
func TestRemoteRunsMarksTheStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"runs": [
			{"id": "r-running", "playbook": "deploy", "status": "running", "trigger": "api", "started_at": "2026-12-02T09:12:40Z"},
			{"id": "r-failed", "playbook": "deploy", "status": "failed", "trigger": "cli", "started_at": "2026-12-02T09:11:00Z",
			 "finished_at": "2026-12-02T09:11:02Z", "duration_ms": 2000},
			{"id": "r-done", "playbook": "deploy", "status": "succeeded", "trigger": "cli", "started_at": "2026-12-02T09:10:03Z",
			 "finished_at": "2026-12-02T09:10:03Z", "duration_ms": 0}]}`)
	}))
	defer srv.Close()
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "runs")
	if r.code != ExitOK {
		t.Fatalf("remote runs: %d %s", r.code, r.stderr)
	}
	for _, want := range []string{"r-running  deploy    … running", "r-failed   deploy    ✗ failed", "r-done     deploy    ✓ succeeded"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
}
