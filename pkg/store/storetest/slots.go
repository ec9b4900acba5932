package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// testSlotBlockerStarting: a slot skipped behind a run still starting is
// claimed with its run row, naming no run; settling it later names the
// run in its record and its run row, once: settling it again (a retry)
// changes nothing, and adds no row.
func testSlotBlockerStarting(t *testing.T, open Opener) {
	s := open(t)
	sl := history.Slot{Playbook: "pb", Path: "/pb.yaml", Slot: t0.Add(time.Minute), Outcome: history.SlotSkipped,
		Message: "skipped: a run was still starting", At: t0.Add(time.Minute + time.Second), BlockerStarting: true}
	claimed, err := s.ClaimSlots(ctx, []history.Slot{sl})
	must(t, err)
	if !claimed[0] {
		t.Fatal("the slot was not claimed")
	}
	check := func(when, want string) {
		t.Helper()
		recs, err := s.Slots(ctx, "pb", time.Time{}, 0)
		must(t, err)
		if len(recs) != 1 || recs[0].BlockedBy != want || recs[0].Outcome != history.SlotSkipped {
			t.Errorf("%s: slot records %+v, want one skipped, blocked by %q", when, recs, want)
		}
		runs, err := s.List(ctx, history.Filter{Trigger: history.TriggerSchedule})
		must(t, err)
		var got []string
		for _, r := range runs {
			slot, msg := "no slot", "no message"
			if r.Slot != nil {
				slot = r.Slot.Format(time.RFC3339)
			}
			if r.Error != nil {
				msg = r.Error.Message
			}
			got = append(got, string(r.Status)+" "+slot+" "+r.BlockedBy+" "+msg)
		}
		if diff := cmp.Diff([]string{string(report.StatusSkipped) + " 2026-06-01T10:01:00Z " + want + " " + sl.Message}, got); diff != "" {
			t.Errorf("%s: run rows (-want +got):\n%s", when, diff)
		}
	}
	check("claimed", "")

	sl.BlockedBy = "r1"
	must(t, s.SettleSlot(ctx, sl))
	check("named", "r1")
	must(t, s.SettleSlot(ctx, sl))
	sl.BlockedBy = "r2"
	must(t, s.SettleSlot(ctx, sl))
	check("named again", "r1")

	never := sl
	never.Slot = t0.Add(time.Hour)
	if err := s.SettleSlot(ctx, never); err == nil {
		t.Error("naming the run blocking a slot never claimed succeeded")
	}
}

func slotsOf(t *testing.T, s store.Store, pb string) []string {
	t.Helper()
	list, err := s.Slots(ctx, pb, time.Time{}, 0)
	must(t, err)
	var out []string
	for _, sl := range list {
		out = append(out, sl.Slot.Format(time.RFC3339)+" "+string(sl.Outcome))
	}
	return out
}

func testSlots(t *testing.T, open Opener) {
	s := open(t)
	cur, err := s.TrackSchedules(ctx, t0, []history.ScheduleRef{{Playbook: "pb", Fingerprint: "* * * * *|UTC"}})
	must(t, err)
	if diff := cmp.Diff(map[string]history.Cursor{"pb": {Since: t0}}, cur); diff != "" {
		t.Errorf("a new schedule's cursor (-want +got):\n%s", diff)
	}
	slot := func(d time.Duration, o history.SlotOutcome) history.Slot {
		return history.Slot{Playbook: "pb", Path: "/pb.yaml", Slot: t0.Add(d), Outcome: o, Message: string(o), At: t0.Add(d)}
	}
	claimed, err := s.ClaimSlots(ctx, []history.Slot{slot(time.Minute, history.SlotMissed), slot(2*time.Minute, history.SlotFired), slot(2*time.Minute, history.SlotFired)})
	must(t, err)
	if diff := cmp.Diff([]bool{true, true, false}, claimed); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	claimed, err = s.ClaimSlots(ctx, []history.Slot{slot(90*time.Second, history.SlotFired), slot(3*time.Minute, history.SlotQueued)})
	must(t, err)
	if diff := cmp.Diff([]bool{false, true}, claimed); diff != "" {
		t.Errorf("an older slot is refused, a newer claimed (-want +got):\n%s", diff)
	}
	must(t, s.SettleSlot(ctx, slot(3*time.Minute, history.SlotSkipped)))
	if err := s.SettleSlot(ctx, slot(4*time.Minute, history.SlotFired)); err == nil {
		t.Error("settling a slot never claimed succeeded")
	}
	want := []string{"2026-06-01T10:01:00Z missed", "2026-06-01T10:02:00Z fired", "2026-06-01T10:03:00Z skipped"}
	if diff := cmp.Diff(want, slotsOf(t, s, "pb")); diff != "" {
		t.Errorf("slots (-want +got):\n%s", diff)
	}
	runs, err := s.List(ctx, history.Filter{Trigger: history.TriggerSchedule})
	must(t, err)
	var statuses []string
	for _, r := range runs {
		statuses = append(statuses, string(r.Status)+" "+r.Slot.Format(time.RFC3339))
	}
	if diff := cmp.Diff([]string{"skipped 2026-06-01T10:03:00Z", "missed 2026-06-01T10:01:00Z"}, statuses); diff != "" {
		t.Errorf("run rows of slots that did not run (-want +got):\n%s", diff)
	}
	cur, err = s.TrackSchedules(ctx, t0.Add(time.Hour), []history.ScheduleRef{{Playbook: "pb", Fingerprint: "*/5 * * * *|UTC"}})
	must(t, err)
	if diff := cmp.Diff(map[string]history.Cursor{"pb": {Since: t0.Add(time.Hour), Last: t0.Add(3 * time.Minute)}}, cur); diff != "" {
		t.Errorf("an edited schedule's cursor (-want +got):\n%s", diff)
	}
	n, err := s.PruneSlots(ctx, t0.Add(150*time.Second))
	must(t, err)
	if n != 2 {
		t.Errorf("PruneSlots removed %d, want 2", n)
	}
	claimed, err = s.ClaimSlots(ctx, []history.Slot{slot(2*time.Minute, history.SlotFired)})
	must(t, err)
	if claimed[0] {
		t.Error("a pruned slot was claimed again")
	}
}

func testSlotsClaimedOnce(t *testing.T, open Opener) {
	stores := []store.Store{open(t), open(t), open(t)}
	const slots = 40
	wins := make([]int, slots)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range slots {
				sl := history.Slot{Playbook: "pb", Slot: t0.Add(time.Duration(i) * time.Second), Outcome: history.SlotFired, At: t0}
				claimed, err := s.ClaimSlots(ctx, []history.Slot{sl})
				if err != nil {
					t.Error(err)
					return
				}
				if claimed[0] {
					mu.Lock()
					wins[i]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for i, n := range wins {
		if n > 1 {
			t.Errorf("slot %d was claimed %d times", i, n)
		}
	}
	if got := len(slotsOf(t, stores[0], "pb")); got == 0 {
		t.Error("no slot was claimed at all")
	}
}
