package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestRemoteRunsSeveralStatuses: 'remote runs --status' takes several
// statuses, as 'history' does (a comma list or a second --status, in any
// case), and sends them as one list for the server to filter by; the
// server's refusal of one names the field and the statuses there are.
func TestRemoteRunsSeveralStatuses(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := r.URL.Query().Get("status")
		mu.Lock()
		asked = append(asked, status)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(status, "canceled") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error": {"class": "validation", "field": "status", "message": "\"canceled\" is not a run status (did you mean \"cancelled\"?); give one of succeeded, failed, cancelled"}}`)
			return
		}
		fmt.Fprint(w, `{"runs": [
			{"id": "r-2", "playbook": "deploy", "status": "cancelled", "trigger": "api", "started_at": "2026-12-02T09:12:41Z", "finished_at": "2026-12-02T09:12:42Z", "duration_ms": 1000},
			{"id": "r-1", "playbook": "deploy", "status": "failed", "trigger": "api", "started_at": "2026-12-02T09:12:40Z", "finished_at": "2026-12-02T09:12:41Z", "duration_ms": 1000}]}`)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	r := runEnv(t, envs, "remote", "runs", "--status", "Failed,CANCELLED", "--status", "failed")
	if r.code != ExitOK || !strings.Contains(r.stdout, "r-2") || !strings.Contains(r.stdout, "r-1") {
		t.Fatalf("remote runs --status Failed,CANCELLED --status failed: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mu.Lock()
	got := asked[len(asked)-1]
	mu.Unlock()
	if got != "failed,cancelled" {
		t.Errorf("sent status=%q, want failed,cancelled", got)
	}
	r = runEnv(t, envs, "remote", "runs", "--status", "failed,canceled")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `"canceled" is not a run status (did you mean "cancelled"?); give one of succeeded, failed, cancelled`) ||
		!strings.Contains(r.stderr, "(field status)") {
		t.Errorf("remote runs --status failed,canceled: %d %s", r.code, r.stderr)
	}
	r = runEnv(t, envs, "remote", "runs", "--status", "failed,")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `"failed," has an empty item`) {
		t.Errorf("remote runs --status failed,: %d %s", r.code, r.stderr)
	}
}

// TestRemoteRunsSeveralStatusesOldServer: a server that lists one status
// at a time refuses the list as one unknown status; the client says what
// that server takes instead.
func TestRemoteRunsSeveralStatusesOldServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error": {"class": "validation", "field": "status", "message": %q}}`,
			fmt.Sprintf("status=%q is not a run status; give one of succeeded, failed, cancelled", r.URL.Query().Get("status")))
	}))
	defer srv.Close()
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "runs", "--status", "failed,cancelled")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "this server lists one status at a time: run 'remote runs' once for each (--status failed), or 'history --status failed,cancelled'") {
		t.Errorf("remote runs --status failed,cancelled to a server of one status: %d %s", r.code, r.stderr)
	}
}
