package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// slotAt is the record of a slot of playbook tick that did not become a
// run, decided at its slot.
func slotAt(slot time.Time, outcome SlotOutcome, blockedBy string) Slot {
	return Slot{Playbook: "tick", Path: "tick.yaml", Slot: slot, Outcome: outcome, BlockedBy: blockedBy, At: slot, Message: string(outcome)}
}

// tickRun records a succeeded run of playbook tick.
func tickRun(t *testing.T, s *Store, id string, at time.Time) {
	t.Helper()
	r := sampleReport(id, at)
	r.Playbook.Name, r.Status = "tick", report.StatusSucceeded
	mustRecord(t, s, r, "")
}

// rowsOf lists the run rows of playbook tick, newest first: a run by its
// id, the row of a slot as its status, @, and its slot's seconds after
// base.
func rowsOf(t *testing.T, s *Store, base time.Time) []string {
	t.Helper()
	runs, err := s.List(context.Background(), Filter{Playbook: "tick", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range runs {
		if r.Slot != nil && r.Trigger == TriggerSchedule {
			out = append(out, fmt.Sprintf("%s@%s", r.Status, r.Slot.Sub(base)))
			continue
		}
		out = append(out, r.ID)
	}
	return out
}

// TestKeepRunsCountsRealRunsOnly: --keep-runs N keeps the newest N runs of
// a playbook however many of its slots were skipped or missed in between;
// those rows are neither counted nor deleted by it. Before, an @every 1s
// playbook that skips behind a 3.5 s run kept 1 real run of 5 asked.
// A failed slot (its run could not start) counts as a run, as in Stats.
func TestKeepRunsCountsRealRunsOnly(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	tickRun(t, s, "r0", sec(0))
	claim(t, s, slotAt(sec(1), SlotSkipped, "r0"))
	tickRun(t, s, "r1", sec(2))
	claim(t, s, slotAt(sec(3), SlotSkipped, "r1"))
	claim(t, s, slotAt(sec(4), SlotMissed, ""))
	tickRun(t, s, "r2", sec(5))
	claim(t, s, slotAt(sec(6), SlotSkipped, "r2"))
	tickRun(t, s, "r3", sec(7))
	claim(t, s, slotAt(sec(8), SlotFailed, ""))
	claim(t, s, slotAt(sec(9), SlotSkipped, "r3"))
	claim(t, s, slotAt(sec(10), SlotSkipped, "r3"))

	if _, err := s.Prune(ctx, 3, 0); err != nil {
		t.Fatal(err)
	}
	want := []string{"skipped@10s", "skipped@9s", "failed@8s", "r3", "skipped@6s", "r2", "missed@4s", "skipped@3s", "skipped@1s"}
	if diff := cmp.Diff(want, rowsOf(t, s, t0)); diff != "" {
		t.Errorf("after --keep-runs 3: want the failed slot, r3 and r2, and every skipped and missed row (-want +got):\n%s", diff)
	}

	// The kept skipped row of the slot after r0 still names r0, pruned:
	// that is only text, read and shown as it is.
	if _, err := s.Get(ctx, "r0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("r0 after --keep-runs 3: %v; want it pruned", err)
	}
	runs, err := s.List(ctx, Filter{Playbook: "tick", Status: report.StatusSkipped, Since: sec(1), Before: sec(2)})
	if err != nil || len(runs) != 1 {
		t.Fatalf("the skipped row of the slot after r0: %+v, %v", runs, err)
	}
	got, err := s.Get(ctx, runs[0].ID)
	if err != nil || got.BlockedBy != "r0" {
		t.Fatalf("Get of a skipped row whose blocker was pruned: %+v, %v", got, err)
	}
	var b bytes.Buffer
	if err := WriteRun(&b, got, nil, false); err != nil || !strings.Contains(b.String(), "blocked   by r0") {
		t.Errorf("WriteRun of a skipped row whose blocker was pruned: %v\n%s", err, b.String())
	}

	// --keep-days drops slot rows as it drops runs.
	s.now = func() time.Time { return sec(6).AddDate(0, 0, 1) }
	if _, err := s.Prune(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:5], rowsOf(t, s, t0)); diff != "" {
		t.Errorf("after --keep-days 1 (-want +got):\n%s", diff)
	}
}

// TestPruneSlotsTakesTheirRunRows: the rows that skipped and missed slots
// have in runs go with the slot records, a day after they were decided;
// real runs and failed slots (runs that could not start) stay. A slot
// missed long ago but recorded just now (after a downtime) stays its day.
func TestPruneSlotsTakesTheirRunRows(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	now := t0.Add(72 * time.Hour)
	old := now.Add(-48 * time.Hour)
	tickRun(t, s, "real-old", old)
	claim(t, s, slotAt(old.Add(time.Second), SlotSkipped, "real-old"))
	claim(t, s, slotAt(old.Add(2*time.Second), SlotMissed, ""))
	claim(t, s, slotAt(old.Add(3*time.Second), SlotFailed, ""))
	lateMissed := slotAt(old.Add(4*time.Second), SlotMissed, "")
	lateMissed.At = now.Add(-time.Minute) // decided after a downtime
	claim(t, s, lateMissed)
	claim(t, s, slotAt(now.Add(-time.Hour), SlotSkipped, ""))

	n, err := s.PruneSlots(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("PruneSlots removed %d slot records, want the 4 before the cutoff", n)
	}
	want := []string{"missed@4s", "skipped@47h0m0s", "failed@3s", "real-old"}
	if diff := cmp.Diff(want, rowsOf(t, s, old)); diff != "" {
		t.Errorf("run rows after PruneSlots (-want +got):\n%s", diff)
	}
}

// TestPruneSlotsInBatches: a backlog bigger than a batch goes whole, in
// several transactions, rows sharing a decision time included, and the
// real runs among the run rows stay.
func TestPruneSlotsInBatches(t *testing.T) {
	defer func(n int64) { pruneBatch = n }(pruneBatch)
	pruneBatch = 3
	s := openStore(t)
	now := t0.Add(72 * time.Hour)
	old := now.Add(-48 * time.Hour)
	var want []string
	for i := range 10 {
		outcome := SlotSkipped
		if i%2 == 1 {
			outcome = SlotMissed
		}
		at := old.Add(time.Duration(i) * time.Second)
		claim(t, s, slotAt(at, outcome, ""))
		if i%2 == 0 {
			id := fmt.Sprintf("real-%d", i)
			tickRun(t, s, id, at.Add(500*time.Millisecond))
			want = append([]string{id}, want...)
		}
	}
	for i := range 4 { // four decided at one instant, after their slots
		sl := slotAt(old.Add(time.Duration(20+i)*time.Second), SlotMissed, "")
		sl.At = old.Add(30 * time.Second)
		claim(t, s, sl)
	}
	claim(t, s, slotAt(now.Add(-time.Hour), SlotSkipped, ""), slotAt(now.Add(-time.Minute), SlotMissed, ""))
	want = append([]string{"missed@47h59m0s", "skipped@47h0m0s"}, want...)

	n, err := s.PruneSlots(context.Background(), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 14 {
		t.Errorf("PruneSlots removed %d slot records, want the 14 before the cutoff", n)
	}
	if diff := cmp.Diff(want, rowsOf(t, s, old)); diff != "" {
		t.Errorf("run rows after PruneSlots (-want +got):\n%s", diff)
	}
	var slots int
	if err := s.db.QueryRow(`SELECT count(*) FROM schedule_slots`).Scan(&slots); err != nil {
		t.Fatal(err)
	}
	if slots != 2 {
		t.Errorf("%d slot records left, want the 2 recent ones", slots)
	}
}

// TestPruneSlotsKeepsWhatItDidWhenStopped: a prune whose context ends
// after its first batch returns the error, and that batch stays deleted,
// so a backlog too big for one prune's time still goes down.
func TestPruneSlotsKeepsWhatItDidWhenStopped(t *testing.T) {
	defer func(n int64) { pruneBatch = n }(pruneBatch)
	pruneBatch = 3
	s := openStore(t)
	now := t0.Add(72 * time.Hour)
	for i := range 7 {
		claim(t, s, slotAt(now.Add(-48*time.Hour+time.Duration(i)*time.Second), SlotFired, ""))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	afterPruneBatch = cancel
	defer func() { afterPruneBatch = nil }()
	n, err := s.PruneSlots(ctx, now.Add(-24*time.Hour))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PruneSlots stopped after a batch: %v, want context.Canceled", err)
	}
	var left int64
	if err := s.db.QueryRow(`SELECT count(*) FROM schedule_slots`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if n != 3 || left != 4 {
		t.Errorf("PruneSlots stopped after a batch: removed %d, %d left; want 3 removed and 4 left", n, left)
	}
}

// TestJournalSizeLimit: every connection has journal_size_limit set, and
// after a transaction much bigger than it (a big prune) the WAL file is
// cut back to it instead of staying that big for the process's life.
func TestJournalSizeLimit(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var conns []interface{ Close() error }
	for range 4 {
		c, err := s.db.Conn(ctx) // distinct connections while held
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var limit int64
		if err := c.QueryRowContext(ctx, "PRAGMA journal_size_limit").Scan(&limit); err != nil {
			t.Fatal(err)
		}
		if limit != JournalSizeLimit {
			t.Errorf("connection %d: journal_size_limit = %d, want %d", len(conns), limit, JournalSizeLimit)
		}
	}
	for _, c := range conns {
		c.Close()
	}

	// 20 MiB written in one transaction, as a big prune writes: the WAL
	// grows past twice the limit, and stays so once it is checkpointed.
	// (Blobs in a table of the test's own: few rows keep the test quick
	// under -race, and the WAL does not care what its pages hold.)
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE wal_test (b BLOB);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
		INSERT INTO wal_test SELECT zeroblob(1048576) FROM n`); err != nil {
		t.Fatal(err)
	}
	wal := filepath.Join(s.dir, FileName+"-wal")
	st, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < 2*JournalSizeLimit {
		t.Fatalf("the WAL is %d bytes after the big transaction; the test wants it over %d", st.Size(), 2*JournalSizeLimit)
	}
	// The next write restarts the checkpointed WAL, and its commit cuts
	// the file back.
	tickRun(t, s, "after", t0)
	if st, err = os.Stat(wal); err != nil {
		t.Fatal(err)
	}
	if st.Size() > JournalSizeLimit {
		t.Errorf("the WAL is %d bytes after a small write; want at most journal_size_limit, %d", st.Size(), JournalSizeLimit)
	}
}
