package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const waitMsg = "waiting for a run slot: 2 runs ahead of it, and the 4 of --max-running are taken"

// TestRemoteRunsSaysWhyAQueuedRunWaits: 'remote runs' prints, under its
// table, the server's word on what each queued run waits for, so that a
// run stuck behind --max-running reads as such; a running run has none.
func TestRemoteRunsSaysWhyAQueuedRunWaits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"runs": [
			{"id": "r-queued", "playbook": "deploy", "status": "queued", "trigger": "api", "started_at": "2026-12-02T09:12:41Z", "duration_ms": 0,
			 "waiting": {"for": "max_running", "ahead": 2, "max_running": 4, "message": %q}},
			{"id": "r-running", "playbook": "deploy", "status": "running", "trigger": "api", "started_at": "2026-12-02T09:12:40Z", "duration_ms": 0}]}`, waitMsg)
	}))
	defer srv.Close()
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "runs")
	r.want(t, ExitOK, []string{"r-queued is queued: " + waitMsg + "\n"}, nil)
	if strings.Contains(r.stdout, "r-running is") {
		t.Errorf("a running run has a note:\n%s", r.stdout)
	}
}

// TestRemoteRunSaysWhyItIsQueued: 'remote run' of a run the server queued
// says on stderr what it waits for, with and without --follow; stdout
// keeps its two lines for scripts.
func TestRemoteRunSaysWhyItIsQueued(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/playbooks/sleeper", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"name":"sleeper","description":"","inputs":[],"schedule":null,"next_run":null}`)
	})
	mux.HandleFunc("POST /api/v1/playbooks/sleeper/runs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"run_id":%q,"status":"queued","links":{"self":"/api/v1/runs/%[1]s","events":"/api/v1/runs/%[1]s/events","cancel":"/api/v1/runs/%[1]s/cancel"},
			"waiting":{"for":"max_running","ahead":2,"max_running":4,"message":%q}}`, fakeRunID, waitMsg)
	})
	mux.HandleFunc("GET /api/v1/runs/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		writeEvent(t, w, 1, "run_finished")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	r := runEnv(t, envs, "remote", "run", "sleeper")
	r.want(t, ExitOK, []string{fakeRunID + " queued\nevents: "}, []string{"queued: " + waitMsg + "\n"})
	if strings.Contains(r.stdout, "waiting") {
		t.Errorf("stdout has the note:\n%s", r.stdout)
	}
	runEnv(t, envs, "remote", "run", "sleeper", "--follow").
		want(t, ExitOK, []string{"succeeded"}, []string{"run " + fakeRunID + "\nqueued: " + waitMsg + "\n"})
}
