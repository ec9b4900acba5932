package history

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// runWrites logs every write of a row of runs, as "insert ID" or "update
// ID", through triggers in the database: what the store wrote, not what
// it left in the end.
func runWrites(t *testing.T, s *Store) func() []string {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE run_writes (n INTEGER PRIMARY KEY, what TEXT)`,
		`CREATE TRIGGER run_inserted AFTER INSERT ON runs BEGIN INSERT INTO run_writes (what) VALUES ('insert ' || NEW.id); END`,
		`CREATE TRIGGER run_updated AFTER UPDATE ON runs BEGIN INSERT INTO run_writes (what) VALUES ('update ' || NEW.id); END`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return func() []string {
		t.Helper()
		rows, err := s.db.QueryContext(ctx, `SELECT what FROM run_writes ORDER BY n`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var w string
			if err := rows.Scan(&w); err != nil {
				t.Fatal(err)
			}
			out = append(out, w)
		}
		return out
	}
}

// TestShortRunWrittenOnce: the start of a run whose end comes within
// StartHold is not written on its own, even when nothing else is being
// written: the end writes the run's row once, with what the start
// carried. Written twice, a second's thousand scheduled runs cost two
// thousand row writes, each with the runs table's indexes.
func TestShortRunWrittenOnce(t *testing.T) {
	s := openStore(t)
	writes := runWrites(t, s)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Millisecond)
	slot := t0.Truncate(time.Second)
	written := s.QueueStart(Run{ID: "quick", Playbook: "restart-workers", StartedAt: t0, Trigger: TriggerSchedule, StartedBy: "scheduler", Slot: &slot})
	if err := s.RecordFinish(ctx, sampleReport("quick", t0), "", ""); err != nil {
		t.Fatal(err)
	}
	if err := written(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"insert quick"}, writes()); diff != "" {
		t.Errorf("the writes of the run's row (-want +got):\n%s", diff)
	}
	run, err := s.Get(ctx, "quick")
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != report.StatusFailed || run.Trigger != TriggerSchedule || run.StartedBy != "scheduler" || run.Slot == nil || !run.Slot.Equal(slot) {
		t.Errorf("the run's row: %s, trigger %q, by %q, slot %v; want failed, schedule, scheduler, %v", run.Status, run.Trigger, run.StartedBy, run.Slot, slot)
	}
}

// TestHeldStartWritten: a start held for its end is written all the same
// once the hold is over, once written is called (a step may change
// something), and when the store closes with its run still going.
func TestHeldStartWritten(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Millisecond)

	s.QueueStart(Run{ID: "long", Playbook: "p", StartedAt: t0})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if run, err := s.Get(ctx, "long"); err == nil && run.Status == StatusRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a held start was not written 10s after it began")
		}
		time.Sleep(10 * time.Millisecond)
	}

	if err := s.QueueStart(Run{ID: "changes", Playbook: "p", StartedAt: t0})(); err != nil {
		t.Fatal(err)
	}
	if run, err := s.Get(ctx, "changes"); err != nil || run.Status != StatusRunning {
		t.Errorf("once written returned: %s, %v; want running", run.Status, err)
	}

	dir := s.dir
	s.QueueStart(Run{ID: "closed", Playbook: "p", StartedAt: t0})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Get(ctx, "closed"); err != nil {
		t.Errorf("a start held as the store closed: %v; want its row", err)
	}
}
