package history

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// knowMigrations makes this process, for one test, know the schema
// versions ms (another process started from the test binary keeps
// knowing this release's).
func knowMigrations(t *testing.T, ms []string) {
	t.Helper()
	old, oldVersion := migrations, SchemaVersion
	t.Cleanup(func() { migrations, SchemaVersion = old, oldVersion })
	migrations, SchemaVersion = ms, len(ms)
}

// TestOpeningACurrentHistoryWaitsForNoWriter: opening a history whose
// schema is this release's takes no write lock, so `history`, `stats`,
// `logs` and a run starting read it while another process holds a write
// transaction (a busy scheduler, a long prune). Before, every open took
// the write lock to check the schema and waited behind that process up
// to the busy timeout, then failed with "database is locked".
func TestOpeningACurrentHistoryWaitsForNoWriter(t *testing.T) {
	// A busy timeout far shorter than the other process's write: an open
	// that waited for it would fail.
	shortBusy(t, 100*time.Millisecond)
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, sampleReport("r1", time.Now()), "")
	s.Close()
	_, release := holdWrites(t, dir)
	defer release()
	notices := make(chan string, 4)
	s, err = OpenNotice(dir, func(msg string) { notices <- msg })
	if err != nil {
		t.Fatalf("Open while another process writes: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	// What a reading command does once it has opened the history.
	if _, err := s.MarkInterrupted(ctx); err != nil {
		t.Errorf("MarkInterrupted while another process writes: %v", err)
	}
	runs, err := s.List(ctx, Filter{Limit: 10})
	if err != nil {
		t.Fatalf("List while another process writes: %v", err)
	}
	if len(runs) != 1 || runs[0].ID != "r1" {
		t.Errorf("List = %+v, want run r1", runs)
	}
	if _, err := s.Get(ctx, "r1"); err != nil {
		t.Errorf("Get while another process writes: %v", err)
	}
	if _, _, err := s.Stats(ctx, time.Time{}, time.Now()); err != nil {
		t.Errorf("Stats while another process writes: %v", err)
	}
	if len(notices) != 0 {
		t.Errorf("a read-only open noticed a wait: %q", <-notices)
	}
}

// TestANewerHistoryIsRefusedWithoutWaiting: a history a newer release
// wrote (arsenal-run downgraded) is refused with the error that says so
// even while another process (of that newer release) holds a write
// transaction, rather than after the busy timeout with "database is
// locked".
func TestANewerHistoryIsRefusedWithoutWaiting(t *testing.T) {
	shortBusy(t, 100*time.Millisecond)
	dir := t.TempDir()
	_, release := holdWrites(t, dir)
	defer release()
	// The other process wrote this release's schema; this one knows one
	// version fewer.
	knowMigrations(t, migrations[:len(migrations)-1])
	_, err := Open(dir)
	if err == nil {
		t.Fatal("Open of a newer history succeeded")
	}
	if isBusy(err) {
		t.Errorf("Open of a newer history waited for the writer: %v", err)
	}
	for _, want := range []string{"schema version " + strconv.Itoa(len(migrations)+1), "use a newer arsenal-run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
}

// TestAnOlderHistoryIsMigratedOnceByConcurrentMigrations: connections
// that migrate one history of an older schema at once, each having read
// the old version before taking the write lock, migrate it once: those
// after the first read the version again under the lock, find it current
// and apply nothing. (Open's open lock serialises them too; this is the
// database's own guard.)
func TestAnOlderHistoryIsMigratedOnceByConcurrentMigrations(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A migration that fails when applied twice.
	knowMigrations(t, append(migrations[:len(migrations):len(migrations)], "CREATE TABLE once (x INTEGER);"))
	dsn := "file:" + filepath.ToSlash(filepath.Join(dir, FileName)) + "?_pragma=busy_timeout(10000)"
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			db, err := sql.Open("sqlite", dsn)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- migrate(context.Background(), db, SchemaVersion, filepath.Join(dir, ReportsDir))
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("migrate: %v", err)
		}
	}
}
