package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// TestOwnLeaseJudges: a process is taken for dead by its own lease, not by
// the judge's. A store with a short lease (a replica with --lease 1s)
// leaves alone the run and the concurrency group of one with a long lease
// (a CLI run, heartbeat every lease/3) while that one beats, though its
// heartbeats are older than the short lease; once that one is silent for
// longer than its own lease, the short one interrupts its run and frees
// its group.
func TestOwnLeaseJudges(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	open := func(lease time.Duration) *postgres.Store {
		s, err := postgres.Open(ctx, postgres.Config{URL: dsn, Lease: lease})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	const long = 6 * time.Second // beats every 2 s
	short, slow := open(time.Second), open(long)
	if err := slow.RecordStart(ctx, history.Run{ID: "slow", Playbook: "pb"}); err != nil {
		t.Fatal(err)
	}
	if err := slow.GroupEnqueue(ctx, "g", "slow", ""); err != nil {
		t.Fatal(err)
	}
	if ok, ahead, err := slow.GroupTry(ctx, "g", "slow"); err != nil || !ok {
		t.Fatalf("the long-lease store takes the group: %v %v %v", ok, ahead, err)
	}
	if err := short.RecordStart(ctx, history.Run{ID: "fast", Playbook: "pb"}); err != nil {
		t.Fatal(err)
	}
	if err := short.GroupEnqueue(ctx, "g", "fast", ""); err != nil {
		t.Fatal(err)
	}
	// For two of the long lease's heartbeat periods, each longer than the
	// short lease, the short store judges again and again.
	for end := time.Now().Add(2 * long / 3); time.Now().Before(end); {
		if n, err := short.MarkInterrupted(ctx); err != nil || n != 0 {
			t.Fatalf("the short-lease store marked %d runs of a live long-lease store interrupted (%v)", n, err)
		}
		if ok, ahead, err := short.GroupTry(ctx, "g", "fast"); err != nil || ok {
			t.Fatalf("the short-lease store took the group a live long-lease store holds: %v %v %v", ok, ahead, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The long-lease store goes silent: its row stays, its heartbeat ages.
	// Closing it removes its row, so it is written back as a killed
	// process leaves it.
	owner := slow.Owner()
	slow.Close()
	silent := func(age time.Duration) {
		t.Helper()
		if _, err := short.Pool().Exec(ctx, `INSERT INTO owners (owner, lease_ms, heartbeat_at) VALUES ($1, $2, now() - make_interval(secs => $3))
			ON CONFLICT (owner) DO UPDATE SET lease_ms = excluded.lease_ms, heartbeat_at = excluded.heartbeat_at`,
			owner, long.Milliseconds(), age.Seconds()); err != nil {
			t.Fatal(err)
		}
	}
	silent(long - time.Second)
	if n, err := short.MarkInterrupted(ctx); err != nil || n != 0 {
		t.Fatalf("silent for less than its lease: marked %d, %v", n, err)
	}
	if ok, _, err := short.GroupTry(ctx, "g", "fast"); err != nil || ok {
		t.Fatalf("silent for less than its lease: took its group: %v, %v", ok, err)
	}
	silent(long + time.Second)
	if n, err := short.MarkInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("silent for longer than its lease: marked %d, %v; want 1", n, err)
	}
	if run, err := short.Get(ctx, "slow"); err != nil || run.Status != history.StatusInterrupted {
		t.Fatalf("the silent store's run: %+v, %v", run, err)
	}
	if ok, ahead, err := short.GroupTry(ctx, "g", "fast"); err != nil || !ok {
		t.Fatalf("silent for longer than its lease: its group is not free: %v %v %v", ok, ahead, err)
	}
}

// TestOwnerWithoutLease: the row of an older release, with no lease, is
// judged by the judging store's lease, as before.
func TestOwnerWithoutLease(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: dsn, Lease: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Pool().Exec(ctx, `INSERT INTO owners (owner, heartbeat_at) VALUES ('old', now() - interval '1 second')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO runs (id, playbook, status, started_at, owner) VALUES ('r', 'pb', 'running', 0, 'old')`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MarkInterrupted(ctx); err != nil || n != 0 {
		t.Fatalf("heartbeat younger than the judge's lease: marked %d, %v", n, err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE owners SET heartbeat_at = now() - interval '3 seconds' WHERE owner = 'old'`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MarkInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("heartbeat older than the judge's lease: marked %d, %v; want 1", n, err)
	}
}
