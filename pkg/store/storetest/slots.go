package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
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
