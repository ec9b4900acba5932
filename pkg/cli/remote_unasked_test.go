package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRemoteFollowSaysWhyItDidNotAsk: 'remote run NAME --follow' with
// stdin or stderr not a terminal (2>&1 | tee, a script) starts the run
// without asking, and the server denies its confirm: steps telling to
// "follow it on a terminal with 'arsenal-run remote run NAME --follow'",
// which the user just did. A line now says why --follow did not ask, and
// what to do; a run with no such step says nothing of it.
func TestRemoteFollowSaysWhyItDidNotAsk(t *testing.T) {
	for _, denied := range []bool{true, false} {
		srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
			now := time.Now().UTC()
			rep := &report.Report{ReportVersion: report.FormatVersion, RunID: fakeRunID, Playbook: report.Playbook{Name: "sleeper"},
				Roles: []string{"admin"}, Inputs: map[string]any{}, Status: report.StatusSucceeded, StartedAt: now, FinishedAt: now,
				Steps: []report.Step{{ID: "restart", Op: "shell.exec", Section: "steps", Status: report.StatusSucceeded, Attempts: 1}}, Outputs: map[string]any{}}
			if denied {
				rep.Status = report.StatusFailed
				rep.Steps[0] = report.Step{ID: "restart", Op: "shell.exec", Section: "steps", Status: report.StatusDenied,
					Reason: "needs confirmation, and the run was not started to ask: follow it on a terminal",
					Error:  &report.Error{Class: "authorization", Message: "step needs confirmation"}}
				rep.Error = &report.Error{Class: "authorization", Message: "step restart denied"}
			}
			data, err := json.Marshal(map[string]any{"seq": 1, "kind": "run_finished", "run_id": fakeRunID, "playbook": "sleeper", "report": rep})
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			fmt.Fprintf(w, "id: 1\nevent: run_finished\ndata: %s\n\n", data)
		})
		r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--follow")
		said := strings.Contains(r.stderr, "--follow asks confirm: questions only with stdin and stderr on a terminal, and stdin, where the answer is read, is not one here: keep both on the terminal, or give --yes")
		if said != denied {
			t.Errorf("a step denied for confirmation %v, said why --follow did not ask %v:\n%s", denied, said, r.stderr)
		}
	}
}
