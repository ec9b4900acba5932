package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRemoteFollowJSONLogIsJSONLines: 'remote run --follow --log-format
// json' writes every line on stderr as a JSON line: the run it started,
// the run's events, and what it says of SIGINT (cancelling the run on the
// server), each with the run's id, so that a CI job's log shipper parses
// all of them. Before, remote had no --log-format, and each was text.
func TestRemoteFollowJSONLogIsJSONLines(t *testing.T) {
	const id = "20260101T000000-0123456789abcdef0123456789abcdef"
	cancelled := make(chan struct{})
	var once sync.Once
	now := time.Now().UTC()
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: report.Playbook{Name: "sleeper"},
		Roles: []string{"admin"}, Inputs: map[string]any{}, Status: report.StatusCancelled, StartedAt: now, FinishedAt: now,
		Steps: []report.Step{}, Outputs: map[string]any{}, Error: &report.Error{Class: "cancelled", Message: "interrupted by SIGINT"}}
	repJSON, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/playbooks/sleeper", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"name":"sleeper","description":"","inputs":[],"schedule":null,"next_run":null}`)
	})
	mux.HandleFunc("POST /api/v1/playbooks/sleeper/runs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"run_id":%q,"status":"queued","links":{"self":"/api/v1/runs/%[1]s","events":"/api/v1/runs/%[1]s/events","cancel":"/api/v1/runs/%[1]s/cancel"}}`, id)
	})
	mux.HandleFunc("GET /api/v1/runs/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "id: 1\nevent: run_started\ndata: {\"seq\":1,\"kind\":\"run_started\",\"run_id\":%q,\"playbook\":\"sleeper\"}\n\n", id)

		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-cancelled:
		}
		fmt.Fprintf(w, "id: 3\nevent: run_finished\ndata: {\"seq\":3,\"kind\":\"run_finished\",\"run_id\":%q,\"status\":\"cancelled\",\"report\":%s}\n\n", id, repJSON)
		w.(http.Flusher).Flush()
	})
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(cancelled) })
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"run_id":%q,"status":"cancelling"}`, id)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p := startEnv(t, []string{"ARSENAL_SERVER=" + srv.URL, "ARSENAL_API_KEY=ak_test"}, `"playbook":"sleeper"`,
		"remote", "--log-format", "json", "run", "sleeper", "--follow")
	p.cmd.Process.Signal(syscall.SIGINT)
	// Its exit code is the run's, told by the stream, or the signal's
	// when the cancel was answered first: either way it ends.
	p.wait(t)
	stderr := p.stderr.String()
	lines := jsonLogLines(t, stderr)
	checkLine(t, lines, stderr, "cancelling the run on the server", "warn", map[string]string{"signal": "SIGINT", "cause": "SIGINT"})
	checkLine(t, lines, stderr, "run accepted by the server", "info", map[string]string{"status": "queued"})
	if l := lineWith(lines, "run started"); l == nil || l["playbook"] != "sleeper" || l["run_id"] != id {
		t.Errorf("no JSON line of the run_started event, with its playbook and run id:\n%s", stderr)
	}
}
