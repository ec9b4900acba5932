package server

import (
	"testing"
	"time"
)

// TestSharedQueueRunSaysWhenItWasQueued: a run waiting in the shared queue
// of --state URL reports, as one queued in a replica's own queue does,
// when it was asked for as its started_at, not the zero time.
func TestSharedQueueRunSaysWhenItWasQueued(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), 10)
	before := time.Now()
	id := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	rep := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200).json(t)
	if rep["status"] != "queued" {
		t.Fatalf("status %v, want queued", rep["status"])
	}
	at, err := time.Parse(time.RFC3339Nano, rep["started_at"].(string))
	if err != nil || at.Before(before.Add(-time.Minute)) || at.After(time.Now().Add(time.Minute)) {
		t.Errorf("started_at %v (%v), want about now, when it was queued", rep["started_at"], err)
	}
}
