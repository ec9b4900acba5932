package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRemoteFollowEndsWhenTheRunAlreadyEnded: SIGTERM to 'remote run
// --follow' asks the server to cancel the run; when the server answers
// that the run already ended (409; its replica died, say, and the stream
// has not told it yet), the command stops waiting and exits with the
// run's own outcome: 1 for an interrupted run.
func TestRemoteFollowEndsWhenTheRunAlreadyEnded(t *testing.T) {
	const id = "20260101T000000-0123456789abcdef0123456789abcdef"
	now := time.Now().UTC()
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: report.Playbook{Name: "sleeper"},
		Roles: []string{"admin"}, Inputs: map[string]any{}, Status: "interrupted", StartedAt: now.Add(-time.Minute), FinishedAt: now,
		Steps: []report.Step{}, Outputs: map[string]any{},
		Error: &report.Error{Class: "system", Message: "the process running the run stopped"}}
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
		// A stream that never tells the end: only keep-alives.
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, `{"error":{"class":"conflict","message":"run %s already ended: interrupted"}}`, id)
	})
	mux.HandleFunc("GET /api/v1/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		json.NewEncoder(&b).Encode(rep)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b.Bytes())
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p := startEnv(t, []string{"ARSENAL_SERVER=" + srv.URL, "ARSENAL_API_KEY=ak_test"}, "run "+id, "remote", "run", "sleeper", "--follow")
	time.Sleep(300 * time.Millisecond) // the stream is open
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitFailed {
		t.Errorf("exit code %d, want %d (the run was interrupted, not cancelled by the signal); stderr:\n%s", code, ExitFailed, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "already ended") {
		t.Errorf("stderr does not tell that the run already ended:\n%s", p.stderr.String())
	}
}
