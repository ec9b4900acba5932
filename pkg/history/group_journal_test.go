//go:build linux

package history

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestGroupedRunsNeedNoTempDir checks that runs whose ends are written
// together, as a scheduler's and a server's are, need no temporary file:
// each end's savepoint in the shared transaction (writeGroup) journals
// the pages it changes, and past 64 KiB SQLite moved that journal to a
// file in the temporary directory, for each run, which then failed
// ("unable to open database file") where that directory cannot be
// written. Every connection of the pool has SQLite's default again after.
func TestGroupedRunsNeedNoTempDir(t *testing.T) {
	if os.Geteuid() != 0 {
		// SQLite passes over a directory it may not write to, and
		// /proc is one for other users.
		t.Skip("needs root: only root may write to /proc, where no file can be made")
	}
	s := openStore(t)
	ctx := context.Background()
	// Runs of one step each, every millisecond: the step index spans
	// many pages, which the runs below change every one of.
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]Finished, 3000)
	for i := range batch {
		st := at.Add(time.Duration(i) * time.Millisecond)
		batch[i] = Finished{Report: &report.Report{RunID: fmt.Sprintf("20260101T000000-%06d", i),
			Playbook: report.Playbook{Name: fmt.Sprintf("pb-%d", i%40)}, Status: report.StatusSucceeded, StartedAt: st, FinishedAt: st,
			Steps: []report.Step{{ID: "noop", Op: "control.noop", Status: report.StatusSucceeded, StartedAt: &st, Attempts: 1}},
		}, Trigger: TriggerAPI}
	}
	if err := s.RecordFinished(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// SQLite's temporary files go there, for every connection of the
	// process, until the test ends.
	if _, err := s.db.ExecContext(ctx, "PRAGMA temp_store_directory = '/proc'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.ExecContext(ctx, "PRAGMA temp_store_directory = ''") })

	const n = 4
	release := holdWriter(t, s)
	errs := make(chan error, n)
	for k := range n {
		r := &report.Report{RunID: fmt.Sprintf("wide-%d", k), Playbook: report.Playbook{Name: "wide"}, Status: report.StatusSucceeded, StartedAt: at, FinishedAt: at}
		for i := range 150 {
			st := at.Add(time.Duration(i*20+k) * time.Millisecond)
			r.Steps = append(r.Steps, report.Step{ID: fmt.Sprintf("s%d", i), Op: "control.noop", Status: report.StatusSucceeded, StartedAt: &st, Attempts: 1})
		}
		go func() { errs <- s.RecordFinish(ctx, r, "", "") }()
	}
	// Written as one group once the writer is free.
	for queued := 0; queued < n; {
		runtime.Gosched()
		s.group.mu.Lock()
		queued = len(s.group.queue)
		s.group.mu.Unlock()
	}
	release()
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var steps int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM steps WHERE run_id LIKE 'wide-%'").Scan(&steps); err != nil {
		t.Fatal(err)
	}
	if steps != n*150 {
		t.Errorf("%d step rows recorded, want %d", steps, n*150)
	}
	for range 4 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var v int
		if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != 0 {
			t.Errorf("a connection of the pool has temp_store %d after a group, want 0 (the default)", v)
		}
	}
}
