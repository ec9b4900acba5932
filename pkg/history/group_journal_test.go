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

// TestClaimSkippedSlotsNeedNoTempDir: an instant's slots that did not
// run, with their run rows, are claimed without a temporary file, as a
// group's runs are (see TestGroupedRunsNeedNoTempDir): a thousand
// playbooks skipping their slots at once made SQLite move each
// statement's journal to a file, and failed where the temporary
// directory cannot be written.
func TestClaimSkippedSlotsNeedNoTempDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: only root may write to /proc, where no file can be made")
	}
	s := openStore(t)
	ctx := context.Background()
	const n = 1000
	refs := make([]ScheduleRef, n)
	for i := range refs {
		refs[i] = ScheduleRef{Playbook: fmt.Sprintf("p%04d", i), Fingerprint: "@every 1s"}
	}
	if _, err := s.TrackSchedules(ctx, t0, refs); err != nil {
		t.Fatal(err)
	}
	slots := make([]Slot, n)
	claim := func(sec int) error {
		slot := t0.Add(time.Duration(sec) * time.Second)
		for i, r := range refs {
			slots[i] = Slot{Playbook: r.Playbook, Path: r.Playbook + ".yaml", Slot: slot, Outcome: SlotSkipped, At: slot.Add(time.Millisecond),
				BlockedBy: "r1", Message: "skipped: run r1 was still running (overlap: skip)"}
		}
		claimed, err := s.ClaimSlots(ctx, slots)
		for i, ok := range claimed {
			if !ok {
				t.Errorf("second %d: the slot of %s was refused", sec, slots[i].Playbook)
			}
		}
		return err
	}
	// Each playbook's run rows: the index by playbook spans many pages.
	sec := 1
	for ; sec <= 5; sec++ {
		if err := claim(sec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA temp_store_directory = '/proc'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.ExecContext(ctx, "PRAGMA temp_store_directory = ''") })
	if err := claim(sec); err != nil {
		t.Fatalf("second %d: %v", sec, err)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM runs WHERE status = 'skipped'").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != sec*n {
		t.Errorf("%d run rows of skipped slots, want %d", rows, sec*n)
	}
}
