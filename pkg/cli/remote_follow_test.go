package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

const fakeRunID = "20260101T000000-0123456789abcdef0123456789abcdef"

// fakeRunServer serves the playbook "sleeper", starts its run fakeRunID,
// and serves that run's events with events.
func fakeRunServer(t *testing.T, events http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/playbooks/sleeper", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"name":"sleeper","description":"","inputs":[],"schedule":null,"next_run":null}`)
	})
	mux.HandleFunc("POST /api/v1/playbooks/sleeper/runs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"run_id":%q,"status":"queued","links":{"self":"/api/v1/runs/%[1]s","events":"/api/v1/runs/%[1]s/events","cancel":"/api/v1/runs/%[1]s/cancel"}}`, fakeRunID)
	})
	mux.HandleFunc("GET /api/v1/runs/{id}/events", events)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// writeEvent writes one event of fakeRunID's stream; run_finished
// carries a report of a run that succeeded.
func writeEvent(t *testing.T, w http.ResponseWriter, seq uint64, kind string) {
	t.Helper()
	ev := map[string]any{"seq": seq, "kind": kind, "run_id": fakeRunID, "playbook": "sleeper"}
	if kind == "run_finished" {
		now := time.Now().UTC()
		ev["report"] = &report.Report{ReportVersion: report.FormatVersion, RunID: fakeRunID, Playbook: report.Playbook{Name: "sleeper"},
			Roles: []string{"admin"}, Inputs: map[string]any{}, Status: report.StatusSucceeded, StartedAt: now.Add(-time.Minute), FinishedAt: now,
			Steps: []report.Step{}, Outputs: map[string]any{}}
	}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Error(err)
	}
	fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", seq, kind, data)
	w.(http.Flusher).Flush()
}

// quickReconnects makes the stream's reconnections quick, and a
// connection count as working only by its events.
func quickReconnects(t *testing.T) {
	oldBackoff, oldSteady := reconnectBackoff, steadyStream
	reconnectBackoff, steadyStream = time.Millisecond, time.Hour
	t.Cleanup(func() { reconnectBackoff, steadyStream = oldBackoff, oldSteady })
}

// TestRemoteFollowOutlivesAProxyThatCutsStreams: behind a proxy that cuts
// each event stream after a while, every reconnection resumes the
// stream; many of them in a run do not end its following, as long as each
// one works.
func TestRemoteFollowOutlivesAProxyThatCutsStreams(t *testing.T) {
	quickReconnects(t)
	const cuts = 25 // more than the failures in a row that end following
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		seen, _ := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		if seen < cuts {
			writeEvent(t, w, seen+1, "log")
			return // cut
		}
		writeEvent(t, w, seen+1, "run_finished")
	})
	runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--wait").
		want(t, ExitOK, []string{"succeeded"}, nil)
}

// TestRemoteFollowGivesUpSayingTheRunMayGoOn: connections in a row that
// deliver nothing end the following, with where to look for the run.
func TestRemoteFollowGivesUpSayingTheRunMayGoOn(t *testing.T) {
	quickReconnects(t)
	var n atomic.Int32
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	})
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--wait")
	r.want(t, ExitFailed, nil, []string{"the event stream of run " + fakeRunID + " broke off 10 times in a row",
		"the run may still be going on the server: see 'arsenal-run remote runs' or GET " + srv.URL + "/api/v1/runs/" + fakeRunID})
	if got := n.Load(); got != int32(streamFailures) {
		t.Errorf("%d connections, want %d", got, streamFailures)
	}
	if strings.Contains(r.stdout, "succeeded") {
		t.Errorf("stdout: %s", r.stdout)
	}
}
