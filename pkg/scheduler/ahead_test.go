package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// slotMessage returns the message recorded for a playbook's slot.
func (h *harness) slotMessage(name string, slot time.Time) string {
	h.t.Helper()
	recs, err := h.store.Slots(context.Background(), name, slot, 1)
	if err != nil || len(recs) == 0 || !recs[0].Slot.Equal(slot) {
		h.t.Fatalf("no record of slot %s of %s: %v", slot.Format(time.RFC3339), name, err)
	}
	return recs[0].Message
}

// TestSlotClaimedAheadStartsAtItsFireTime: the slot of an idle playbook is
// recorded the lead before its fire time, and its run starts at the fire
// time itself, not after the recording; the health names the slot as the
// next one until it starts.
func TestSlotClaimedAheadStartsAtItsFireTime(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.load(playbook("p", "@every 1m"))
		slot := t10.Add(time.Minute)
		h.runUntil(slot.Add(-DefaultLead))
		if diff := cmp.Diff([]string{slotIs(slot, "fired")}, h.slots("p")); diff != "" {
			t.Fatalf("the lead before the slot (-want +got):\n%s", diff)
		}
		if n := len(h.launcher.started()); n != 0 {
			t.Fatalf("%d runs before the fire time", n)
		}
		if ph := h.s.Health().Playbooks[0]; ph.NextSlot == nil || !ph.NextSlot.Equal(slot) {
			t.Errorf("the health's next slot while it waits: %v, want %s", ph.NextSlot, slot)
		}
		h.runUntil(slot)
		runs := h.launcher.started()
		if len(runs) != 1 || !runs[0].launchedAt.Equal(slot) || !runs[0].job.Slot.Equal(slot) {
			t.Fatalf("runs at the fire time: %d, want one launched at %s", len(runs), slot.Format(time.RFC3339))
		}
		if ph := h.s.Health().Playbooks[0]; ph.NextSlot == nil || !ph.NextSlot.Equal(slot.Add(time.Minute)) {
			t.Errorf("the health's next slot once it started: %v", ph.NextSlot)
		}
	})
}

// TestBusyPlaybookIsDecidedAtItsFireTime: a playbook with a run going is
// not decided ahead, since the run may end before the slot: it is decided
// at the fire time, and fires when the run ended in between.
func TestBusyPlaybookIsDecidedAtItsFireTime(t *testing.T) {
	h := newHarness(t, t10)
	h.launcher.hold = true
	h.load(playbook("p", "@every 1m", overlap("skip")))
	slot := t10.Add(2 * time.Minute)
	h.runUntil(slot.Add(-DefaultLead / 2))
	if diff := cmp.Diff([]string{slotIs(t10.Add(time.Minute), "fired")}, h.slots("p")); diff != "" {
		t.Fatalf("records inside the lead, with a run going (-want +got):\n%s", diff)
	}
	h.launcher.started()[0].end(report.StatusSucceeded)
	h.quiesce()
	h.runUntil(slot)
	if diff := cmp.Diff(utc(t10.Add(time.Minute), slot), h.launcher.slotsOf("p")); diff != "" {
		t.Errorf("slots started (-want +got):\n%s", diff)
	}
}

// stopAtLead stops the scheduler, moving the fake clock on by what its
// shutdown waits for, and returns when the shutdown is done.
func (h *harness) stopAtLead() {
	h.t.Helper()
	done := make(chan error, 1)
	go func() { done <- h.s.shutdown() }()
	for {
		select {
		case err := <-done:
			if err != nil {
				h.t.Fatal(err)
			}
			return
		case <-time.After(time.Millisecond):
			if ts := h.clock.Timers(); len(ts) > 0 {
				h.clock.Advance(ts[0])
			}
		}
	}
}

// TestStopWithASlotClaimedAhead: a scheduler stopped between the claim of
// a slot and its fire time, or at the fire time before the loop took the
// run in, waits for the fire time and starts the run, which a restart
// does not start again; without a stop in between, another leader
// (Config.Takeover) would have fired the slot, and must not lose it.
func TestStopWithASlotClaimedAhead(t *testing.T) {
	slot := t10.Add(time.Minute)
	for _, tc := range []struct {
		name  string
		after time.Duration // from the lead before the slot to the stop
		cfg   func(*Config)
	}{
		{"before the fire time", 0, func(*Config) {}},
		{"at the fire time", DefaultLead, func(*Config) {}},
		{"leader handing over", DefaultLead / 2, func(c *Config) { c.Takeover = 3 * time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, t10, tc.cfg)
			h.load(playbook("p", "@every 1m", catchup("last", 0)))
			h.runUntil(slot.Add(-DefaultLead))
			h.clock.Advance(tc.after)
			h.stopAtLead()
			// The run of the slot, not started before its fire time. (Not
			// "at" it: stopAtLead moves the fake clock on from a real-time
			// loop, which on a loaded machine may pass a later timer of
			// the shutdown before the launch reads the clock.)
			runs := h.launcher.started()
			if len(runs) != 1 || !runs[0].job.Slot.Equal(slot) || runs[0].launchedAt.Before(slot) {
				var got []string
				for _, r := range runs {
					got = append(got, r.job.Slot.Format(time.RFC3339)+" at "+r.launchedAt.Format(time.RFC3339Nano))
				}
				t.Fatalf("runs once stopped: %v, want the one of %s, started at its fire time", got, slot.Format(time.RFC3339))
			}
			h.restart()
			h.load(playbook("p", "@every 1m", catchup("last", 0)))
			h.runUntil(slot.Add(time.Second))
			if diff := cmp.Diff(utc(slot), h.launcher.slotsOf("p")); diff != "" {
				t.Errorf("slots started across the restart (-want +got):\n%s\nrecords: %v", diff, h.slots("p"))
			}
		})
	}
}

// TestClaimedAheadThenFoundLate: when the wall clock jumps forward, or
// the machine is suspended, between the claim of a slot and its fire
// time, the slot is found late as any other: missed under catchup none,
// and under catchup last the newest slot runs instead.
func TestClaimedAheadThenFoundLate(t *testing.T) {
	slot := t10.Add(time.Hour)
	for _, tc := range []struct {
		mode string
		want []string // slots started
	}{
		{"none", nil},
		{"last", utc(t10.Add(3 * time.Hour))},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			h := newHarness(t, t10)
			h.load(playbook("p", "@every 1h", catchup(tc.mode, 0)))
			h.runUntil(slot.Add(-DefaultLead))
			h.clock.Jump(150 * time.Minute)
			h.s.tick()
			h.quiesce()
			if diff := cmp.Diff(tc.want, h.launcher.slotsOf("p")); diff != "" {
				t.Errorf("slots started (-want +got):\n%s", diff)
			}
			if msg := h.slotMessage("p", slot); !strings.Contains(msg, "missed: found 2h30m late") {
				t.Errorf("the slot claimed ahead: %q", msg)
			}
		})
	}
}

// TestReloadWithASlotClaimedAhead: a reload between the claim of a slot
// and its fire time that removes the playbook, or changes its schedule,
// records the slot missed and starts no run for it; one that changes only
// the steps starts the run of the new version.
func TestReloadWithASlotClaimedAhead(t *testing.T) {
	slot := t10.Add(time.Minute)
	for _, tc := range []struct {
		name   string
		reload []string // the crons of p after the reload; none: removed
		why    string   // in the message of the missed slot; "" fires
	}{
		{"removed", nil, "the playbook was removed from the schedule"},
		{"schedule changed", []string{"@every 2m"}, "the schedule was changed by a reload"},
		{"steps changed", []string{"@every 1m"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, t10)
			h.load(playbook("p", "@every 1m"), playbook("other", "@every 1h"))
			h.runUntil(slot.Add(-DefaultLead))
			set := []*steps.Playbook{playbook("other", "@every 1h")}
			for _, c := range tc.reload {
				pb := playbook("p", c)
				pb.Description = "new version"
				set = append(set, pb)
			}
			h.load(set...)
			h.runUntil(slot)
			runs := h.launcher.started()
			if tc.why == "" {
				if len(runs) != 1 || runs[0].job.Playbook.Description != "new version" {
					t.Fatalf("runs: %d, want one of the new version", len(runs))
				}
				return
			}
			if len(runs) != 0 {
				t.Fatalf("%d runs, want none", len(runs))
			}
			if diff := cmp.Diff([]string{slotIs(slot, "missed")}, h.slots("p")); diff != "" {
				t.Errorf("slot records (-want +got):\n%s", diff)
			}
			if msg := h.slotMessage("p", slot); !strings.Contains(msg, tc.why) {
				t.Errorf("message %q does not say %q", msg, tc.why)
			}
		})
	}
}

// TestLeadGrowsWithTheCostOfDeciding: when recording a batch ahead takes
// longer than half the lead, the lead grows to twice that, so the runs
// still start at their fire time.
func TestLeadGrowsWithTheCostOfDeciding(t *testing.T) {
	const claim = 80 * time.Millisecond
	h := newHarness(t, t10)
	h.s.cfg.Store = &slowStore{Store: h.store, clock: h.clock, took: claim}
	h.load(playbook("p", "@every 1s"))
	h.run(5 * time.Second)
	runs := h.launcher.started()
	if len(runs) < 4 {
		t.Fatalf("%d runs in 5s of @every 1s", len(runs))
	}
	for _, r := range runs[1:] {
		if !r.launchedAt.Equal(r.job.Slot) {
			t.Errorf("the run of %s started at %s, not at its slot", r.job.Slot.Format(time.RFC3339), r.launchedAt.Format(time.RFC3339Nano))
		}
	}
	if h.s.lead != 2*claim {
		t.Errorf("lead %s, want %s", h.s.lead, 2*claim)
	}
}
