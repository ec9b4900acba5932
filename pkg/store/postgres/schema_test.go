package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestMigrateEveryVersion: a database of every earlier schema version,
// with a run going on in it from a replica of that release, is migrated
// to the latest by Migrate (as `store migrate` does), applying what is
// pending; then a store that may not migrate opens it, reads that run
// (not a dry run: its row predates dry_run) and records a new dry run.
func TestMigrateEveryVersion(t *testing.T) {
	ctx := context.Background()
	for from := 0; from < SchemaVersion; from++ {
		dsn := pgtest.DSN(t)
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := migrate(ctx, pool, from); err != nil {
			t.Fatalf("to version %d: %v", from, err)
		}
		if from > 0 {
			if _, err := pool.Exec(ctx, `INSERT INTO runs (id, playbook, status, started_at, inputs) VALUES ('old', 'pb', 'running', 1, '{"a":"b"}')`); err != nil {
				t.Fatalf("at version %d: %v", from, err)
			}
		}
		n, err := Migrate(ctx, pool)
		pool.Close()
		if err != nil || n != SchemaVersion-from {
			t.Fatalf("from version %d: applied %d, %v; want %d", from, n, err, SchemaVersion-from)
		}
		s, err := Open(ctx, Config{URL: dsn, NoMigrate: true})
		if err != nil {
			t.Fatalf("from version %d: %v", from, err)
		}
		if from > 0 {
			run, err := s.Get(ctx, "old")
			if err != nil || run.Status != history.StatusRunning || run.DryRun || run.Inputs["a"] != "b" {
				t.Errorf("from version %d: the old run reads %+v, %v", from, run, err)
			}
		}
		if err := s.RecordStart(ctx, history.Run{ID: "new", Playbook: "pb", DryRun: true}); err != nil {
			t.Fatalf("from version %d: %v", from, err)
		}
		if run, err := s.Get(ctx, "new"); err != nil || !run.DryRun {
			t.Errorf("from version %d: the new dry run reads %+v, %v", from, run, err)
		}
		s.Close()
	}
}
