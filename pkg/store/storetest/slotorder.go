package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// testSlotRowsNewestSlotFirst: the slots of a gap, found and recorded
// missed at one instant, have the same started_at; they are listed newest
// slot first, as every other run is listed newest first, not in an order
// of their own.
func testSlotRowsNewestSlotFirst(t *testing.T, open Opener) {
	s := open(t)
	at := t0.Add(time.Hour)
	var recs []history.Slot
	for i := range 10 {
		for _, pb := range []string{"a", "b"} {
			recs = append(recs, history.Slot{Playbook: pb, Path: "/" + pb + ".yaml", Slot: t0.Add(time.Duration(i) * time.Second),
				Outcome: history.SlotMissed, Message: "missed: the scheduler was not running", At: at})
		}
	}
	_, err := s.ClaimSlots(ctx, recs)
	must(t, err)
	for _, pb := range []string{"a", ""} {
		runs, err := s.List(ctx, history.Filter{Playbook: pb, Trigger: history.TriggerSchedule})
		must(t, err)
		var got, want []string
		for _, r := range runs {
			got = append(got, r.Slot.Format(time.RFC3339)+" "+r.Playbook)
		}
		for i := 9; i >= 0; i-- {
			for _, name := range []string{"b", "a"} {
				if pb == "" || pb == name {
					want = append(want, t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339)+" "+name)
				}
			}
		}
		if pb == "" {
			// Two playbooks' rows of one slot: in either order.
			for i := 0; i+1 < len(got); i += 2 {
				if got[i] > got[i+1] {
					got[i], got[i+1] = got[i+1], got[i]
				}
			}
			for i := 0; i+1 < len(want); i += 2 {
				want[i], want[i+1] = want[i+1], want[i]
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("missed slots listed (playbook %q) (-want +got):\n%s", pb, diff)
		}
	}
}
