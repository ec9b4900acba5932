package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestBatchSentAgainOnANewConnection: a write tried again after the
// database went away goes out on a new connection, which has prepared
// nothing yet. Sent as it was the first time, the batch would name the
// statements prepared on the connection that died ("prepared statement
// does not exist"), and the run's end would never be recorded.
func TestBatchSentAgainOnANewConnection(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: pgtest.DSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got int
	b := &pgx.Batch{}
	b.Queue(`SELECT $1::int + 1`, 41).QueryRow(func(row pgx.Row) error { return row.Scan(&got) })
	for attempt := range 2 {
		s.pool.Reset() // every connection goes, as in a restart
		if err := s.sendTx(ctx, b); err != nil {
			t.Fatalf("attempt %d: %v", attempt+1, err)
		}
		if got != 42 {
			t.Errorf("attempt %d: got %d, want 42", attempt+1, got)
		}
		got = 0
	}
}

// TestGroupReleasedAcrossARestart: a run that ends just as the database
// drops every connection (a restart, a failover) still gives its
// concurrency group up: the release is tried again like the writes that
// record runs, rather than failing once and leaving the group held by a
// replica that lives on.
func TestGroupReleasedAcrossARestart(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, err := Open(ctx, Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.GroupEnqueue(ctx, "g", "r1", ""); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := a.GroupTry(ctx, "g", "r1"); !ok || err != nil {
		t.Fatalf("r1 takes g: %v, %v", ok, err)
	}
	// The server ends every session of a, as a restart does: its pooled
	// connections fail once each.
	if _, err := b.pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if err := a.GroupRelease(ctx, "g", "r1"); err != nil {
		t.Fatalf("release after the restart: %v", err)
	}
	if err := b.GroupEnqueue(ctx, "g", "r2", ""); err != nil {
		t.Fatal(err)
	}
	if ok, ahead, err := b.GroupTry(ctx, "g", "r2"); !ok || err != nil {
		t.Errorf("r2 takes g: %v (ahead %v), %v; want it free", ok, ahead, err)
	}
}
