package queue

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestLostRetryIsNotRetried: the run of a retry_on_node_loss playbook
// lost with its replica is queued again once, as the retry of the run
// first asked for; when that retry is lost too, it is recorded
// interrupted with a message saying so, and nothing is queued again.
func TestLostRetryIsNotRetried(t *testing.T) {
	ctx := context.Background()
	r := newReplica(t, pgtest.DSN(t), 1, false) // not started: jobs wait
	pool := r.pg.Pool()
	// lose makes runID's job taken, and its run running, by a replica
	// that left no heartbeat behind.
	lose := func(runID string) {
		t.Helper()
		tag, err := pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
			attempted_at = now() - interval '1 minute', attempted_by = ARRAY['a-replica-that-died']
			WHERE args->>'run_id' = $1`, runID)
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("take the job of %s: %v, %v", runID, tag, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO runs (id, playbook, status, started_at, owner) VALUES ($1, 'again', 'running', 0, 'a-replica-that-died')`, runID); err != nil {
			t.Fatal(err)
		}
	}
	// jobs returns the queued runs: run id to the run it retries.
	jobs := func() map[string]string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT args->>'run_id', COALESCE(args->>'retry_of', '') FROM river_job WHERE kind = $1`, Kind)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var id, of string
			if err := rows.Scan(&id, &of); err != nil {
				t.Fatal(err)
			}
			out[id] = of
		}
		return out
	}

	first, _, err := r.q.Submit(ctx, args("again", nil))
	if err != nil {
		t.Fatal(err)
	}
	lose(first)
	r.q.reap(ctx)
	var retry string
	for id, of := range jobs() {
		if id != first {
			retry = id
			if of != first {
				t.Errorf("the retry %s retries %q, want %s", id, of, first)
			}
		}
	}
	if retry == "" {
		t.Fatalf("the lost run was not queued again: jobs %v", jobs())
	}
	lose(retry)
	r.q.reap(ctx)
	r.q.reap(ctx) // a second look changes nothing
	if got := jobs(); len(got) != 2 {
		t.Errorf("jobs after the retry was lost: %v, want the run and its one retry", got)
	}
	run, err := r.pg.Get(ctx, retry)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != history.StatusInterrupted || run.Error == nil || run.Error.Message != fmt.Sprintf(RetryLostMessage, first) {
		t.Fatalf("the lost retry: %s, %+v", run.Status, run.Error)
	}
	if !strings.Contains(run.Error.Message, "by hand") {
		t.Errorf("the message does not say what to do: %q", run.Error.Message)
	}
}
