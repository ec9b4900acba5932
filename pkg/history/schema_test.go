package history

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// openRaw opens the database file in dir without migrating it.
func openRaw(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(dir, FileName)))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// fromVersion writes a database of schema version v in a new directory,
// with the rows fill adds, and opens it with this release, which migrates
// it: the store returned is at SchemaVersion.
func fromVersion(t *testing.T, v int, fill func(db *sql.DB)) *Store {
	t.Helper()
	dir := t.TempDir()
	db := openRaw(t, dir)
	if err := migrate(context.Background(), db, v, filepath.Join(dir, ReportsDir)); err != nil {
		t.Fatal(err)
	}
	fill(db)
	db.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var got int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&got); err != nil || got != SchemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", got, err, SchemaVersion)
	}
	return s
}

// TestMigrateFromVersion1 builds a database as the first schema version
// wrote it, with a finished run and one left running, and opens it with
// this release: the data stays, the new columns are filled in (steps.call
// as RecordFinish computes it today), and the orphaned run is interrupted.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	r := sampleReport("old", t0)
	var wantCalls []int
	s := fromVersion(t, 1, func(db *sql.DB) {
		if _, err := db.Exec(`INSERT INTO runs (id, playbook, status, started_at, finished_at, duration_ms) VALUES
		('old', 'restart-workers', 'failed', ?, ?, 1000), ('stuck', 'restart-workers', 'running', ?, NULL, NULL)`,
			ms(t0), ms(t0)+1000, ms(t0)+5000); err != nil {
			t.Fatal(err)
		}
		for _, row := range stepRows(r) {
			if _, err := db.Exec(`INSERT INTO steps (run_id, step_id, section, kind, item, attempt, op, status, error_class, started_at, duration_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row[:11]...); err != nil {
				t.Fatal(err)
			}
			wantCalls = append(wantCalls, row[11].(int))
		}
	})
	rows, err := s.db.Query("SELECT call FROM steps WHERE run_id = 'old' ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	var gotCalls []int
	for rows.Next() {
		var c int
		rows.Scan(&c)
		gotCalls = append(gotCalls, c)
	}
	rows.Close()
	if diff := cmp.Diff(wantCalls, gotCalls); diff != "" {
		t.Errorf("steps.call after migration (-want +got):\n%s", diff)
	}
	n, err := s.MarkInterrupted(ctx)
	if err != nil || n != 1 {
		t.Errorf("MarkInterrupted = %d, %v; want the run left running by the old release", n, err)
	}
	ops, _, err := s.Stats(ctx, t0.Add(-1), time.Time{})
	if err != nil || len(ops) != 4 {
		t.Errorf("Stats after migration = %v, %v", ops, err)
	}
	var check string
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

func TestMigrateEveryVersion(t *testing.T) {
	for from := 0; from < SchemaVersion; from++ {
		dir := t.TempDir()
		db := openRaw(t, dir)
		if err := migrate(context.Background(), db, from, filepath.Join(dir, ReportsDir)); err != nil {
			t.Fatal(err)
		}
		db.Close()
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("from version %d: %v", from, err)
		}
		mustRecord(t, s, sampleReport("r", t0), "")
		s.Close()
		// Opening again is a no-op.
		s, err = Open(dir)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		s.Close()
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	dir := t.TempDir()
	db := openRaw(t, dir)
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("Open of a newer database: %v", err)
	}
}
