package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// bigWhole is a whole number a float64 cannot hold exactly: plain JSON
// decoding reads it as 9007199254740992.
const bigWhole int64 = 1<<53 + 1

// bigReport is a report of fakeRunID whose output is bigWhole.
func bigReport() *report.Report {
	now := time.Now().UTC()
	return &report.Report{ReportVersion: report.FormatVersion, RunID: fakeRunID, Playbook: report.Playbook{Name: "sleeper"},
		Roles: []string{"admin"}, Inputs: map[string]any{}, Status: report.StatusSucceeded, StartedAt: now.Add(-time.Minute), FinishedAt: now,
		Steps: []report.Step{}, Outputs: map[string]any{"big": bigWhole}}
}

// TestRemoteFollowKeepsWholeNumbersExact: the end-of-run summary of
// 'remote run --wait' shows a large whole number of the run's outputs as
// the run held it, whether the report came on the event stream or from
// GET /api/v1/runs/{id} (a run the server said already ended).
func TestRemoteFollowKeepsWholeNumbersExact(t *testing.T) {
	want := fmt.Sprintf("big: %d", bigWhole)
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		data, err := json.Marshal(map[string]any{"seq": 1, "kind": "run_finished", "run_id": fakeRunID, "playbook": "sleeper", "report": bigReport()})
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "id: 1\nevent: run_finished\ndata: %s\n\n", data)
	})
	runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--wait").
		want(t, ExitOK, []string{"succeeded", want}, nil)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(bigReport())
	})
	srv2 := httptest.NewServer(mux)
	defer srv2.Close()
	u, _ := url.Parse(srv2.URL)
	rm := &remote{e: &env{getenv: func(string) string { return "" }}, base: u, http: srv2.Client()}
	rep, err := rm.endedReport(fakeRunID)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Outputs["big"]; got != int(bigWhole) {
		t.Errorf("output big = %v (%T), want %d", got, got, bigWhole)
	}
}
