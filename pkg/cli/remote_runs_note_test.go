package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRemoteRunsNotes: 'remote runs' listed a dry run as a plain
// "succeeded", as if it had changed something, and a failed or cancelled
// run without why; the server sends both. A NOTE column now says them, and
// the run a run resumed, as 'history' does, cleaned of terminal controls.
func TestRemoteRunsNotes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"runs": [
			{"id": "r-dry", "playbook": "restart", "status": "succeeded", "trigger": "api", "started_at": "2026-12-02T09:12:41Z",
			 "finished_at": "2026-12-02T09:12:41Z", "duration_ms": 3, "dry_run": true},
			{"id": "r-stopped", "playbook": "restart", "status": "cancelled", "trigger": "api", "started_at": "2026-12-02T09:11:00Z",
			 "finished_at": "2026-12-02T09:11:10Z", "duration_ms": 10000, "resumed_from": "r-old",
			 "error": {"class": "cancelled", "message": "the service stopped\nwhile the run was going\u001b[2J"}},
			{"id": "r-ok", "playbook": "restart", "status": "succeeded", "trigger": "cli", "started_at": "2026-12-02T09:10:03Z",
			 "finished_at": "2026-12-02T09:10:03Z", "duration_ms": 0}]}`)
	}))
	defer srv.Close()
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "runs")
	if r.code != ExitOK {
		t.Fatalf("remote runs: %d %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 4 || !strings.HasSuffix(lines[0], "DURATION  NOTE") {
		t.Fatalf("want a header with NOTE and three rows:\n%s", r.stdout)
	}
	want := map[string]string{
		"r-dry":     "3ms       dry run",
		"r-stopped": "10.0s     cancelled: the service stopped; while the run was going; resumed from r-old",
		"r-ok":      "0ms",
	}
	for _, line := range lines[1:] {
		id, _, _ := strings.Cut(line, " ")
		if !strings.HasSuffix(line, want[id]) || strings.ContainsRune(line, '\x1b') {
			t.Errorf("row of %s does not end %q:\n%q", id, want[id], line)
		}
	}
}
