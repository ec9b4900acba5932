package history

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

func claim(t *testing.T, s *Store, slots ...Slot) []bool {
	t.Helper()
	got, err := s.ClaimSlots(context.Background(), slots)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func fired(pb string, slot time.Time) Slot {
	return Slot{Playbook: pb, Slot: slot, Outcome: SlotFired, At: slot}
}

// TestClaimSlotOnceAcrossReopen: a slot is claimed once, an older slot
// than the newest claimed is refused (a backward clock jump), and both
// hold after the store is closed and opened again, as after a restart.
func TestClaimSlotOnceAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := time.Minute
	got := claim(t, s, fired("a", t0), fired("a", t0.Add(m)), fired("b", t0), fired("a", t0.Add(m)))
	if diff := cmp.Diff([]bool{true, true, true, false}, got); diff != "" {
		t.Errorf("first claims (-want +got):\n%s", diff)
	}
	if got := claim(t, s, fired("a", t0)); got[0] {
		t.Error("a slot older than the newest claimed was claimed")
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got = claim(t, s, fired("a", t0.Add(m)), fired("b", t0), fired("a", t0.Add(2*m)))
	if diff := cmp.Diff([]bool{false, false, true}, got); diff != "" {
		t.Errorf("claims after reopening (-want +got):\n%s", diff)
	}
	// Pruned slot rows stay claimed: the cursor remembers.
	if n, err := s.PruneSlots(context.Background(), t0.Add(time.Hour)); err != nil || n != 4 {
		t.Errorf("PruneSlots = %d, %v; want 4", n, err)
	}
	if got := claim(t, s, fired("a", t0.Add(2*m)), fired("b", t0)); got[0] || got[1] {
		t.Errorf("pruned slots claimed again: %v", got)
	}
}

// TestClaimSlotsTwoStores: two stores on one state dir (two processes)
// race for the same slots; each slot goes to exactly one.
func TestClaimSlotsTwoStores(t *testing.T) {
	dir := t.TempDir()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	const n = 50
	wins := make([][]bool, len(stores))
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range n {
				got, err := s.ClaimSlots(context.Background(), []Slot{fired("race", t0.Add(time.Duration(k)*time.Second))})
				if err != nil {
					t.Error(err)
					return
				}
				wins[i] = append(wins[i], got[0])
			}
		}()
	}
	wg.Wait()
	total := 0
	for k := range n {
		if len(wins[0]) != n || len(wins[1]) != n {
			t.Fatalf("claims: %d and %d", len(wins[0]), len(wins[1]))
		}
		if wins[0][k] && wins[1][k] {
			t.Errorf("slot %d claimed by both stores", k)
		}
		if wins[0][k] || wins[1][k] {
			total++
		}
	}
	if total == 0 {
		t.Error("no slot claimed")
	}
	slots, err := stores[0].Slots(context.Background(), "race", time.Time{}, 0)
	if err != nil || len(slots) != total {
		t.Errorf("%d slot rows, %v; want %d", len(slots), err, total)
	}
}

func TestTrackSchedules(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	track := func(now time.Time, refs ...ScheduleRef) map[string]Cursor {
		t.Helper()
		c, err := s.TrackSchedules(ctx, now, refs)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	got := track(t0, ScheduleRef{"a", "0 3 * * *|UTC"})
	if diff := cmp.Diff(map[string]Cursor{"a": {Since: t0}}, got); diff != "" {
		t.Errorf("new schedule (-want +got):\n%s", diff)
	}
	claim(t, s, fired("a", t0.Add(3*time.Hour)))
	// Unchanged: Since stays, Last is the claimed slot.
	got = track(t0.Add(24*time.Hour), ScheduleRef{"a", "0 3 * * *|UTC"}, ScheduleRef{"b", "@hourly|UTC"})
	want := map[string]Cursor{"a": {Since: t0, Last: t0.Add(3 * time.Hour)}, "b": {Since: t0.Add(24 * time.Hour)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unchanged (-want +got):\n%s", diff)
	}
	// Edited: Since moves to now; Last stays.
	got = track(t0.Add(48*time.Hour), ScheduleRef{"a", "0 9 * * *|UTC"})
	want = map[string]Cursor{"a": {Since: t0.Add(48 * time.Hour), Last: t0.Add(3 * time.Hour)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("edited (-want +got):\n%s", diff)
	}
}

// TestSlotsThatDidNotRunAreHistoryRows: skipped, missed and failed slots
// appear in the history with the trigger, the slot and the blocking run,
// settle turns a queued slot into a fired or missed one, and none of them
// counts in the playbook stats.
func TestSlotsThatDidNotRunAreHistoryRows(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	m := time.Minute
	got := claim(t, s,
		Slot{Playbook: "nightly", Path: "n.yaml", Slot: t0, Outcome: SlotSkipped, BlockedBy: "run-1", Message: "skipped: run run-1 was still running", At: t0.Add(time.Second)},
		Slot{Playbook: "nightly", Path: "n.yaml", Slot: t0.Add(m), Outcome: SlotQueued, BlockedBy: "run-1", At: t0.Add(m)},
		Slot{Playbook: "nightly", Path: "n.yaml", Slot: t0.Add(2 * m), Outcome: SlotQueued, At: t0.Add(2 * m)},
	)
	if diff := cmp.Diff([]bool{true, true, true}, got); diff != "" {
		t.Fatalf("claims (-want +got):\n%s", diff)
	}
	if err := s.SettleSlot(ctx, Slot{Playbook: "nightly", Slot: t0.Add(m), Outcome: SlotFired, RunID: "run-2", At: t0.Add(3 * m)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SettleSlot(ctx, Slot{Playbook: "nightly", Path: "n.yaml", Slot: t0.Add(2 * m), Outcome: SlotMissed, Message: "the scheduler stopped", At: t0.Add(4 * m)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SettleSlot(ctx, Slot{Playbook: "nightly", Slot: t0.Add(9 * m), Outcome: SlotFired}); err == nil {
		t.Error("settling a slot never claimed succeeded")
	}
	if err := s.RecordStart(ctx, Run{ID: "run-2", Playbook: "nightly", StartedAt: t0.Add(3 * m), Trigger: TriggerSchedule, Slot: ptr(t0.Add(m))}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordStart(ctx, Run{ID: "by-hand", Playbook: "nightly", StartedAt: t0.Add(5 * m)}); err != nil {
		t.Fatal(err)
	}

	runs, err := s.List(ctx, Filter{Trigger: TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Status    report.Status
		Slot      time.Time
		BlockedBy string
		Message   string
	}
	var rows []row
	for _, r := range runs {
		if r.Trigger != TriggerSchedule || r.Slot == nil {
			t.Errorf("run %s: trigger %q, slot %v", r.ID, r.Trigger, r.Slot)
			continue
		}
		msg := ""
		if r.Error != nil {
			msg = r.Error.Message
		}
		rows = append(rows, row{r.Status, *r.Slot, r.BlockedBy, msg})
	}
	want := []row{
		{StatusMissed, t0.Add(2 * m), "", "the scheduler stopped"},
		{StatusRunning, t0.Add(m), "", ""},
		{report.StatusSkipped, t0, "run-1", "skipped: run run-1 was still running"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("scheduled rows (-want +got):\n%s", diff)
	}
	cli, err := s.List(ctx, Filter{Trigger: TriggerCLI})
	if err != nil || len(cli) != 1 || cli[0].ID != "by-hand" {
		t.Errorf("cli runs: %v, %v", cli, err)
	}

	slots, err := s.Slots(ctx, "nightly", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, sl := range slots {
		outcomes = append(outcomes, fmt.Sprintf("%s %s %s", sl.Slot.Sub(t0), sl.Outcome, sl.RunID))
	}
	if diff := cmp.Diff([]string{"0s skipped ", "1m0s fired run-2", "2m0s missed "}, outcomes); diff != "" {
		t.Errorf("slot records (-want +got):\n%s", diff)
	}

	r := sampleReport("run-2", t0.Add(3*m))
	r.Playbook.Name = "nightly"
	mustRecord(t, s, r, "")
	got2, err := s.Get(ctx, "run-2")
	if err != nil || got2.Trigger != TriggerSchedule || got2.Slot == nil || !got2.Slot.Equal(t0.Add(m)) {
		t.Errorf("RecordFinish lost the trigger or slot: %+v, %v", got2, err)
	}
	_, pbs, err := s.Stats(ctx, t0.Add(-time.Hour), time.Time{})
	if err != nil || len(pbs) != 1 || pbs[0].Count != 1 {
		t.Errorf("playbook stats count slots that did not run: %+v, %v", pbs, err)
	}
}

// TestRunsBeforeTriggersAreCLIRuns: runs recorded before the history knew
// triggers were all started from the command line.
func TestRunsBeforeTriggersAreCLIRuns(t *testing.T) {
	s := fromVersion(t, 2, func(db *sql.DB) {
		if _, err := db.Exec(`INSERT INTO runs (id, playbook, status, started_at) VALUES ('old', 'x', 'succeeded', ?)`, ms(t0)); err != nil {
			t.Fatal(err)
		}
	})
	r, err := s.Get(context.Background(), "old")
	if err != nil || r.Trigger != TriggerCLI || r.Slot != nil || r.BlockedBy != "" {
		t.Errorf("migrated run: %+v, %v", r, err)
	}
}

// TestQueuedSlots lists the slots recorded queued, by slot, and no
// others; a settled one is gone from the list.
func TestQueuedSlots(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := func(pb string, at time.Time) Slot {
		return Slot{Playbook: pb, Slot: at, Outcome: SlotQueued, BlockedBy: "r1", Message: "queued behind run r1", At: at}
	}
	claim(t, s, q("b", t0.Add(time.Minute)), fired("a", t0), q("a", t0.Add(time.Minute)), q("c", t0.Add(2*time.Minute)))
	if err := s.SettleSlot(context.Background(), Slot{Playbook: "c", Slot: t0.Add(2 * time.Minute), Outcome: SlotFired, At: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.QueuedSlots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sl := range got {
		names = append(names, sl.Playbook+" "+sl.Slot.UTC().Format(time.RFC3339)+" "+sl.BlockedBy)
	}
	want := []string{"a " + t0.Add(time.Minute).UTC().Format(time.RFC3339) + " r1", "b " + t0.Add(time.Minute).UTC().Format(time.RFC3339) + " r1"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("queued slots (-want +got):\n%s", diff)
	}
}
