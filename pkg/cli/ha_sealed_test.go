package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestQueuedRunInputsAreSealed: a run queued with a secret input keeps
// that input out of the job table in clear while it waits and runs, and
// the run still gets it.
func TestQueuedRunInputsAreSealed(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	writePlaybook(t, c.fix.playbooks, "vault.yaml", `version: 1
name: vault
inputs:
  token: {type: string, secret: true}
steps:
  - id: check
    op: control.assert
    with: {that: "${{ inputs.token == 'hunter2-sealed' }}", message: the run did not get its token}
  - {id: hold, op: control.sleep, with: {duration: 2s}}
`)
	a := c.start(t)
	code, body := apiCall(t, "POST", a.base+"/api/v1/playbooks/vault/runs", c.fix.admin, map[string]any{"inputs": map[string]any{"token": "hunter2-sealed"}})
	if code != http.StatusAccepted {
		t.Fatalf("POST runs: %d %v", code, body)
	}
	id := body["run_id"].(string)
	var seen int
	waitWithin(t, 20*time.Second, "the run's job in the queue", func() bool {
		seen = c.count(t, `SELECT count(*) FROM river_job WHERE args->>'run_id' = $1`, id)
		return seen > 0
	})
	var args string
	if err := c.pool.QueryRow(context.Background(), `SELECT args::text FROM river_job WHERE args->>'run_id' = $1`, id).Scan(&args); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(args, "hunter2") || strings.Contains(args, `"inputs"`) || !strings.Contains(args, `"sealed"`) {
		t.Errorf("the job's args hold the inputs in clear: %s", args)
	}
	waitWithin(t, 30*time.Second, "the run to succeed", func() bool {
		_, run := apiCall(t, "GET", a.base+"/api/v1/runs/"+id, c.fix.admin, nil)
		return run["status"] == "succeeded" || run["status"] == "failed"
	})
	if _, run := apiCall(t, "GET", a.base+"/api/v1/runs/"+id, c.fix.admin, nil); run["status"] != "succeeded" {
		t.Errorf("the run did not get its sealed input: %v", run)
	}
}
