package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRemoteRunsDurations: 'remote runs' gives a run still queued or
// going on no duration, as 'history' does, rather than a 0ms that reads
// as a run that ended at once; an interrupted run's reads as at least.
func TestRemoteRunsDurations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/runs" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"runs": [
			{"id": "r-queued", "playbook": "deploy", "status": "queued", "trigger": "api", "started_at": "2026-12-02T09:12:41Z", "duration_ms": 0},
			{"id": "r-running", "playbook": "deploy", "status": "running", "trigger": "api", "started_at": "2026-12-02T09:12:40Z", "duration_ms": 0},
			{"id": "r-interrupted", "playbook": "deploy", "status": "interrupted", "trigger": "cli", "started_at": "2026-12-02T09:11:00Z",
			 "finished_at": "2026-12-02T09:11:02.5Z", "duration_ms": 2500},
			{"id": "r-done", "playbook": "deploy", "status": "succeeded", "trigger": "cli", "started_at": "2026-12-02T09:10:03Z",
			 "finished_at": "2026-12-02T09:10:03Z", "duration_ms": 0}]}`)
	}))
	defer srv.Close()
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "runs")
	if r.code != ExitOK {
		t.Fatalf("remote runs: %d %s", r.code, r.stderr)
	}
	want := map[string]string{"r-queued": "-", "r-running": "-", "r-interrupted": "≥2.5s", "r-done": "0ms"}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		f := strings.Fields(line)
		if got := f[len(f)-1]; got != want[f[0]] {
			t.Errorf("duration of %s = %q, want %q\n%s", f[0], got, want[f[0]], r.stdout)
		}
		delete(want, f[0])
	}
	if len(want) != 0 {
		t.Errorf("runs not listed: %v\n%s", want, r.stdout)
	}
}
