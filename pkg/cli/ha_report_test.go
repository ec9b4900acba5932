package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunReportIsTheSameOnEveryReplica: while a dry run with a secret
// input goes on, GET /api/v1/runs/{id} answers on the replica that does
// not run it as on the one that does: the same inputs (the secret masked,
// in the other inputs too), dry_run, the steps so far with the running
// one, and a duration. The database never holds the secret in clear. Once
// the run ended, both answer with its report, dry_run included.
func TestRunReportIsTheSameOnEveryReplica(t *testing.T) {
	t.Parallel()
	const token = "hunter2-on-a-replica"
	c := newHACluster(t)
	writePlaybook(t, c.fix.playbooks, "waiter.yaml", `version: 1
name: waiter
inputs:
  secs: {type: string}
  note: {type: string}
  token: {type: string, secret: true}
steps:
  - {id: before, op: control.log, with: {message: "waiting ${{ inputs.secs }}"}}
  - {id: wait, op: control.sleep, with: {duration: "${{ inputs.secs }}"}}
`)
	a, b := c.start(t), c.start(t)
	inputs := map[string]any{"secs": "60s", "note": "the token is " + token, "token": token}
	code, body := apiCall(t, "POST", a.base+"/api/v1/playbooks/waiter/runs", c.fix.admin, map[string]any{"inputs": inputs, "dry_run": true})
	if code != http.StatusAccepted {
		t.Fatalf("POST runs: %d %v", code, body)
	}
	id := body["run_id"].(string)
	runner, other := c.runnerOf(t, id, "before", a, b)
	t.Cleanup(func() { apiCall(t, "POST", runner.base+"/api/v1/runs/"+id+"/cancel", c.fix.admin, nil) })
	running := func(rep map[string]any) bool {
		steps, _ := rep["steps"].([]any)
		for _, st := range steps {
			if st := st.(map[string]any); st["id"] == "wait" && st["status"] == "running" {
				return true
			}
		}
		return false
	}
	var there map[string]any
	waitWithin(t, 20*time.Second, "the wait step running on its replica", func() bool {
		_, there = apiCall(t, "GET", runner.base+"/api/v1/runs/"+id, c.fix.admin, nil)
		return running(there)
	})
	// The other replica reads the events the runner relays every 100 ms.
	var here map[string]any
	waitWithin(t, 10*time.Second, "the wait step running on the other replica", func() bool {
		_, here = apiCall(t, "GET", other.base+"/api/v1/runs/"+id, c.fix.admin, nil)
		return running(here)
	})
	if d, _ := here["duration_ms"].(float64); d <= 0 {
		t.Errorf("duration_ms on the other replica: %v, want more than 0", here["duration_ms"])
	}
	if here["status"] != "running" {
		t.Errorf("status on the other replica: %v, want running", here["status"])
	}
	for name, rep := range map[string]map[string]any{"running": there, "other": here} {
		if rep["dry_run"] != true {
			t.Errorf("dry_run on the %s replica: %v, want true", name, rep["dry_run"])
		}
	}
	masked, _ := there["inputs"].(map[string]any)
	if masked["secs"] != "60s" || masked["token"] == token || strings.Contains(masked["note"].(string), token) {
		t.Errorf("inputs on the running replica: %v; want secs and the token masked everywhere", masked)
	}
	// The duration goes on between the two answers; all else is the same.
	delete(there, "duration_ms")
	delete(here, "duration_ms")
	if diff := cmp.Diff(there, here); diff != "" {
		t.Errorf("the report on the other replica differs from the running one's (-running +other):\n%s", diff)
	}
	var row string
	if err := c.pool.QueryRow(context.Background(), `SELECT inputs FROM runs WHERE id = $1`, id).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row, token) || !strings.Contains(row, "60s") {
		t.Errorf("the run's row keeps its inputs as %s; want them masked", row)
	}
	// The ended run: each replica answers with its report.
	if code, body := apiCall(t, "POST", other.base+"/api/v1/runs/"+id+"/cancel", c.fix.admin, nil); code != http.StatusAccepted {
		t.Fatalf("cancel: %d %v", code, body)
	}
	ended := func(r *replica) map[string]any {
		var rep map[string]any
		waitWithin(t, 20*time.Second, "the run ended on "+r.base, func() bool {
			_, rep = apiCall(t, "GET", r.base+"/api/v1/runs/"+id, c.fix.admin, nil)
			return rep["status"] == "cancelled"
		})
		return rep
	}
	there, here = ended(runner), ended(other)
	if there["dry_run"] != true {
		t.Errorf("dry_run of the ended run: %v, want true", there["dry_run"])
	}
	if diff := cmp.Diff(there, here); diff != "" {
		t.Errorf("the ended run's report on the other replica differs from the running one's (-running +other):\n%s", diff)
	}
}
