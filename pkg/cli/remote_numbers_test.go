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

// TestRemoteExecKeepsWholeNumbersExact: 'remote exec' sends a --param of
// a large whole number as written, and prints the result's as the server
// sent them, not rounded through a float64.
func TestRemoteExecKeepsWholeNumbersExact(t *testing.T) {
	var sent string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/operations/{op}/execute", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Params map[string]json.RawMessage `json:"params"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		sent = string(body.Params["id"])
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"run_id": %q, "status": "succeeded", "result": {"id": %d, "ratio": 0.5}}`, fakeRunID, bigWhole)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	want := fmt.Sprintf(`"id": %d`, bigWhole)
	runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "exec", "control.noop", "--param", fmt.Sprintf("id=%d", bigWhole)).
		want(t, ExitOK, []string{want, `"ratio": 0.5`}, nil)
	if sent != fmt.Sprint(bigWhole) {
		t.Errorf("--param id reached the server as %s, want %d", sent, bigWhole)
	}
}
