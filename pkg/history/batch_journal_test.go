//go:build linux

package history

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRecordFinishedNeedsNoTempDir checks that a batch of finished runs,
// as a busy server records, needs no temporary file: the statement
// journal of its statements of many rows outgrew the 64 KiB SQLite keeps
// in memory, so each batch created a file in the temporary directory,
// and failed ("unable to open database file") where that directory
// cannot be written, a sandboxed service's read-only /var/tmp say. The
// connection goes back to the pool with SQLite's default, so that the
// other writes (a prune of a large backlog) still spill to disk.
func TestRecordFinishedNeedsNoTempDir(t *testing.T) {
	if os.Geteuid() != 0 {
		// SQLite passes over a directory it may not write to, and
		// /proc is one for other users.
		t.Skip("needs root: only root may write to /proc, where no file can be made")
	}
	s := openStore(t)
	ctx := context.Background()
	// SQLite's temporary files go there, for every connection of the
	// process, until the test ends.
	if _, err := s.db.ExecContext(ctx, "PRAGMA temp_store_directory = '/proc'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.ExecContext(ctx, "PRAGMA temp_store_directory = ''") })
	now := time.Now()
	batch := make([]Finished, 300)
	for round := range 3 {
		for i := range batch {
			batch[i] = Finished{Report: &report.Report{RunID: fmt.Sprintf("20260101T00000%d-%06d", round, i),
				Playbook: report.Playbook{Name: fmt.Sprintf("pb-%d", i%40)}, Status: report.StatusSucceeded,
				StartedAt: now, FinishedAt: now,
				Steps: []report.Step{{ID: "noop", Op: "control.noop", Status: report.StatusSucceeded, StartedAt: &now, Attempts: 1}},
			}, Trigger: TriggerAPI, StartedBy: "test"}
		}
		if err := s.RecordFinished(ctx, batch); err != nil {
			t.Fatalf("batch %d: %v", round, err)
		}
	}
	var runs, steps int
	if err := s.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM steps)").Scan(&runs, &steps); err != nil {
		t.Fatal(err)
	}
	if runs != 900 || steps != 900 {
		t.Errorf("recorded %d runs and %d steps, want 900 of each", runs, steps)
	}
	// Every connection of the pool has SQLite's default again.
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 4 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var v int
		if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != 0 {
			t.Errorf("a connection of the pool has temp_store %d after a batch, want 0 (the default)", v)
		}
	}
}
