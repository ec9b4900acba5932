package queue

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestHealthOfARoleThatMayNotRecordRuns: a replica whose role lost INSERT
// on runs (a REVOKE) answered /healthz "ok" with store_ok true, so a load
// balancer kept it while every run it took waited in the queue. Its
// health now fails, naming the privilege and what to grant.
func TestHealthOfARoleThatMayNotRecordRuns(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	owner := newReplica(t, dsn, 1, false) // creates the tables
	if h, err := owner.q.Health(ctx); err != nil || h["store_ok"] != true {
		t.Fatalf("health of the owner: %v, %v", h, err)
	}
	role := fmt.Sprintf("replica_%d", os.Getpid())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP OWNED BY "+role)
		c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	})
	for _, q := range []string{
		"DROP ROLE IF EXISTS " + role,
		"CREATE ROLE " + role + " LOGIN",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
		"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO " + role,
		"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO " + role,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	r := newReplica(t, u.String(), 1, false)
	if h, err := r.q.Health(ctx); err != nil || h["store_ok"] != true {
		t.Fatalf("health with every grant: %v, %v", h, err)
	}
	if _, err := conn.Exec(ctx, "REVOKE INSERT ON runs FROM "+role); err != nil {
		t.Fatal(err)
	}
	h, err := r.q.Health(ctx)
	if err == nil || h["store_ok"] != false {
		t.Fatalf("health without INSERT on runs: %v, %v; want store_ok false and an error", h, err)
	}
	for _, want := range []string{role, "INSERT on runs", "grant it SELECT, INSERT, UPDATE and DELETE", "docs/ha.md"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "SELECT on runs") || strings.Contains(err.Error(), "on steps") {
		t.Errorf("the error names privileges the role holds: %v", err)
	}
}

// TestQueueRunningCountsRunsGoingOn: a run whose job a worker took but
// that waits there for its concurrency group has not started; /healthz's
// queue_running and arsenal_queue_running counted it as running.
func TestQueueRunningCountsRunsGoingOn(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 2, true)
	ctx := context.Background()
	hold, _, err := r.q.Submit(ctx, args("hold", nil))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "hold running", func() bool { h, ok := r.q.Local(hold); return ok && h.Status() == string(runs.StateRunning) })
	after, _, err := r.q.Submit(ctx, args("after", nil))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "after waiting for its group", func() bool { h, ok := r.q.Local(after); return ok && h.Status() == string(runs.StateQueued) })
	waiting, running, err := r.q.Depth(ctx)
	if err != nil || running != 1 || waiting != 0 {
		t.Errorf("depth: %d waiting, %d running, %v; want 0 and 1 (the run waiting for its group has not started)", waiting, running, err)
	}
	h, err := r.q.Health(ctx)
	if err != nil || h["queue_running"] != 1 {
		t.Errorf("health: %v, %v; want queue_running 1", h, err)
	}
}
