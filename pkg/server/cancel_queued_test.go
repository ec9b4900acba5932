package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunCancelledBeforeItStarted: a run cancelled while it waits, in
// this replica's own queue for a run slot or in the shared queue of
// --state URL, is listed and reported cancelled from when it was queued
// (the started_at listed while it waited) to when it was cancelled, that
// wait as its duration, under who started it; its report is a whole one
// (the playbook's path and sha256, its inputs masked, each step skipped
// saying why, signed); and the audit log
// says who cancelled it. The shared queue's record started when it was
// cancelled, lasted 0 ms, named no starter and no playbook file, and
// neither audited the cancel.
func TestRunCancelledBeforeItStarted(t *testing.T) {
	c := startCluster(t)
	shared, _ := newQueueServer(t, c, c.NewDatabase(t), 10)
	local := newTestServer(t)
	for range 4 { // every run slot taken: the next run waits for one
		local.post("admin", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202)
	}
	for name, ts := range map[string]*testServer{"shared queue": shared, "run slot": local} {
		t.Run(name, func(t *testing.T) {
			body := map[string]any{"inputs": map[string]any{"who": "carol", "token": "t0p-s3cret-input"}}
			id := ts.post("operator", "/api/v1/playbooks/hello/runs", body).want(t, 202).json(t)["run_id"].(string)
			row := func() map[string]any {
				t.Helper()
				for _, r := range ts.get("admin", "/api/v1/runs?playbook=hello").want(t, 200).json(t)["runs"].([]any) {
					if run := r.(map[string]any); run["id"] == id {
						return run
					}
				}
				t.Fatalf("run %s is not listed", id)
				return nil
			}
			waiting := row()
			if waiting["status"] != "queued" {
				t.Fatalf("run %s is %v, want queued", id, waiting["status"])
			}
			queued, err := time.Parse(time.RFC3339Nano, waiting["started_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			for time.Since(queued) < 5*time.Millisecond { // so that the wait shows in milliseconds
				time.Sleep(time.Millisecond)
			}
			ts.post("admin", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
			var ended map[string]any
			eventually(t, "the run recorded cancelled", func() bool { ended = row(); return ended["status"] == "cancelled" })
			rep := ts.get("admin", "/api/v1/runs/"+id).want(t, 200) // checked against the RunReport schema
			if strings.Contains(string(rep.body), "t0p-s3cret-input") {
				t.Fatalf("the report shows the secret input: %s", rep.body)
			}
			for what, got := range map[string]map[string]any{"listed": ended, "reported": rep.json(t)} {
				started, _ := time.Parse(time.RFC3339Nano, got["started_at"].(string))
				finished, _ := time.Parse(time.RFC3339Nano, got["finished_at"].(string))
				if started.UnixMilli() != queued.UnixMilli() { // the history keeps milliseconds
					t.Errorf("%s started_at %v, want %v, when it was queued", what, got["started_at"], waiting["started_at"])
				}
				if d, _ := got["duration_ms"].(float64); d <= 0 || abs(int64(d)-finished.Sub(started).Milliseconds()) > 1 {
					t.Errorf("%s duration_ms %v from %v to %v, want the wait", what, got["duration_ms"], got["started_at"], got["finished_at"])
				}
			}
			if ended["started_by"] != "operator" {
				t.Errorf("listed started_by %v, want operator", ended["started_by"])
			}
			r := rep.json(t)
			if pb, inputs := r["playbook"].(map[string]any), r["inputs"].(map[string]any); pb["sha256"] == "" || inputs["who"] != "carol" || inputs["token"] != "***" {
				t.Errorf("the report's playbook %v and inputs %v", pb, inputs)
			}
			// The report is the one the replica wrote, signed, with each
			// step skipped and saying why, not one told from history.
			st, _ := r["steps"].([]any)
			if len(st) != 1 || st[0].(map[string]any)["status"] != "skipped" ||
				!strings.HasPrefix(fmt.Sprint(st[0].(map[string]any)["reason"]), "not run: cancelled") {
				t.Errorf("the report's steps %v, want greet skipped: not run: cancelled ...", r["steps"])
			}
			if r["signature"] == nil {
				t.Errorf("the report is not signed: %s", rep.body)
			}
			audit, _ := os.ReadFile(ts.audit)
			found := false
			for line := range strings.SplitSeq(strings.TrimSpace(string(audit)), "\n") {
				var l map[string]any
				if json.Unmarshal([]byte(line), &l) == nil && l["run_id"] == id && l["action"] == "cancel" {
					found = l["who"] == "admin" && l["from"] != "" && strings.HasSuffix(l["playbook"].(string), "hello.yaml")
				}
			}
			if !found {
				t.Errorf("the audit log has no cancel of run %s by admin:\n%s", id, audit)
			}
		})
	}
}

func abs(n int64) int64 { return max(n, -n) }

// TestQueuedRunCancelledOnce: cancels of a run this replica does not hold
// (waiting in the shared queue, or running on another replica) that
// arrive together, or one after the other while it stops, cancel and
// audit it once, as for a run held here: the others are 409. Each used to
// be accepted and audited.
func TestQueuedRunCancelledOnce(t *testing.T) {
	c := startCluster(t)
	ts, pg := newQueueServer(t, c, c.NewDatabase(t), 10)
	cancels := func(id string) int {
		t.Helper()
		audit, _ := os.ReadFile(ts.audit)
		n := 0
		for line := range strings.SplitSeq(strings.TrimSpace(string(audit)), "\n") {
			var l map[string]any
			if json.Unmarshal([]byte(line), &l) == nil && l["run_id"] == id && l["action"] == "cancel" {
				n++
			}
		}
		return n
	}

	t.Run("at once", func(t *testing.T) {
		id := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				status := postStatus(ts, "admin", "/api/v1/runs/"+id+"/cancel")
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[202] != 1 || statuses[409] != 7 {
			t.Errorf("8 cancels at once: answers %v, want one 202 and seven 409", statuses)
		}
		if n := cancels(id); n != 1 {
			t.Errorf("8 cancels at once audited %d times, want once", n)
		}
	})

	t.Run("running elsewhere", func(t *testing.T) {
		id := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
		// Another replica took the job: River will not cancel it here.
		if _, err := pg.Pool().Exec(context.Background(), `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE args->>'run_id' = $1`, id); err != nil {
			t.Fatal(err)
		}
		ts.post("admin", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
		e := ts.post("operator", "/api/v1/runs/"+id+"/cancel", nil).wantError(t, 409, ClassConflict)
		if msg, _ := e["message"].(string); !strings.Contains(msg, "being cancelled already") || e["reason"] != "being_cancelled" {
			t.Errorf("the second cancel's 409 says %q (reason %v), want that it is being cancelled already", e["message"], e["reason"])
		}
		if n := cancels(id); n != 1 {
			t.Errorf("2 cancels audited %d times, want once", n)
		}
	})
}

// TestHeldRunCancelledOnceThroughTwoReplicas: cancels of a run that one
// replica holds, sent at once through it and through another replica,
// cancel and audit it once: the replica holding it asks through the
// shared store, as the other does, so the others are 409 being
// cancelled. Each replica used to count only its own cancels, and the
// run was audited cancelled twice.
func TestHeldRunCancelledOnceThroughTwoReplicas(t *testing.T) {
	c := startCluster(t)
	dsn := c.NewDatabase(t)
	holder, _ := newQueueServer(t, c, dsn, 10)
	other, _ := newQueueServer(t, c, dsn, 10)
	q := holder.srv.cfg.Queue
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	cancels := func(id string) int {
		n := 0
		for _, ts := range []*testServer{holder, other} {
			audit, _ := os.ReadFile(ts.audit)
			for line := range strings.SplitSeq(strings.TrimSpace(string(audit)), "\n") {
				var l map[string]any
				if json.Unmarshal([]byte(line), &l) == nil && l["run_id"] == id && l["action"] == "cancel" {
					n++
				}
			}
		}
		return n
	}
	for round := range 5 {
		id := holder.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
		eventually(t, "the holder to run it", func() bool { _, ok := holder.mgr.Get(id); return ok })
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 8 {
			ts := holder
			if i%2 == 1 {
				ts = other
			}
			wg.Go(func() {
				<-start
				status := postStatus(ts, "admin", "/api/v1/runs/"+id+"/cancel")
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		if statuses[202] != 1 || statuses[409] != 7 {
			t.Errorf("round %d: 8 cancels through two replicas: answers %v, want one 202 and seven 409", round, statuses)
		}
		if n := cancels(id); n != 1 {
			t.Errorf("round %d: 8 cancels through two replicas audited %d times, want once", round, n)
		}
		h, _ := holder.mgr.Get(id)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if rep, err := h.Wait(ctx); err != nil || rep.Status != "cancelled" {
			t.Errorf("round %d: the run after the cancels: %v %v, want cancelled", round, rep, err)
		}
		cancel()
	}
}

// TestHeldRunCancelledWithTheDatabaseDown: the replica executing a run
// cancels it, and audits it, when the shared database is down: a cancel
// that must go through the database first must not leave a runaway run
// uncancellable for as long as the outage lasts.
func TestHeldRunCancelledWithTheDatabaseDown(t *testing.T) {
	c := startCluster(t)
	holder, _ := newQueueServer(t, c, c.NewDatabase(t), 10)
	q := holder.srv.cfg.Queue
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	id := holder.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	eventually(t, "the holder to run it", func() bool { _, ok := holder.mgr.Get(id); return ok })
	h, _ := holder.mgr.Get(id)
	up, err := c.Down()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = up() })
	if status := postStatus(holder, "admin", "/api/v1/runs/"+id+"/cancel"); status != 202 {
		t.Errorf("the cancel with the database down: %d, want 202", status)
	}
	// A run cancelled already is not cancelled a second time.
	if first, _ := h.CancelOnce(errors.New("the test"), nil); first {
		t.Error("the run was not cancelled")
	}
	audit, _ := os.ReadFile(holder.audit)
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(audit)), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["run_id"] == id && l["action"] == "cancel" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the cancel audited %d times, want once:\n%s", n, audit)
	}
}
