package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestSlotRecordsPrunedAtStart: the slot records older than the retention
// are pruned as the loop starts, not an hour later, so that a scheduler
// restarted more often than hourly still prunes them; then hourly. The
// skipped and missed rows of those slots in the history go with them.
func TestSlotRecordsPrunedAtStart(t *testing.T) {
	h := newHarness(t, t10)
	old := t10.Add(-2 * DefaultSlotRetention)
	recent := t10.Add(-time.Hour)
	ctx := context.Background()
	for _, sl := range []history.Slot{
		{Playbook: "p", Path: "p.yaml", Slot: old, Outcome: history.SlotSkipped, At: old, Message: "skipped"},
		{Playbook: "p", Path: "p.yaml", Slot: old.Add(time.Minute), Outcome: history.SlotMissed, At: old.Add(time.Minute), Message: "missed"},
		{Playbook: "p", Path: "p.yaml", Slot: recent, Outcome: history.SlotSkipped, At: recent, Message: "skipped"},
	} {
		if _, err := h.store.ClaimSlots(ctx, []history.Slot{sl}); err != nil {
			t.Fatal(err)
		}
	}
	h.load(playbook("p", "*/5 * * * *"))

	stop := h.startLoop() // returns once the first tick, and its prune, are done
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{utc(recent)[0] + " skipped"}, h.slots("p")); diff != "" {
		t.Errorf("slot records after the first tick (-want +got):\n%s", diff)
	}
	runs, err := h.store.List(ctx, history.Filter{Playbook: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || !runs[0].Slot.Equal(recent) {
		t.Errorf("run rows of slots after the first tick: %+v; want the recent skipped one alone", runs)
	}
}

// TestSlotPruneCadence: the first tick prunes, the ticks of the next hour
// do not, the first one an hour on does.
func TestSlotPruneCadence(t *testing.T) {
	h := newHarness(t, t10)
	h.load(playbook("p", "*/5 * * * *"))
	var got []string
	for _, d := range []time.Duration{0, time.Minute, 59 * time.Minute, time.Minute, time.Minute} {
		h.clock.Advance(d)
		_, prune := h.s.tick()
		h.quiesce()
		if prune {
			got = append(got, h.clock.Now().Sub(t10).String())
		}
	}
	if diff := cmp.Diff([]string{"0s", "1h0m0s"}, got); diff != "" {
		t.Errorf("ticks that prune, after the start (-want +got):\n%s", diff)
	}
}

// prunePastItsTime is a store whose PruneSlots lasts until its context
// ends, as a prune of a large backlog does.
type prunePastItsTime struct {
	Store
	started chan struct{}
}

func (p *prunePastItsTime) PruneSlots(ctx context.Context, _ time.Time) (int64, error) {
	close(p.started)
	<-ctx.Done()
	return 0, ctx.Err()
}

// TestSlotsFireWhilePruning: a prune that takes long does not hold the
// loop: slots due meanwhile fire, and a shutdown cuts the prune short.
func TestSlotsFireWhilePruning(t *testing.T) {
	h := newHarness(t, t10)
	st := &prunePastItsTime{Store: h.s.cfg.Store, started: make(chan struct{})}
	h.s.cfg.Store = st
	h.load(playbook("p", "* * * * *"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.s.Run(ctx) }()
	select {
	case <-st.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not prune as it started")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(h.launcher.started()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no slot fired within 10s while a prune was going on")
		}
		h.clock.Advance(time.Second)
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of its context ending, with a prune going on")
	}
}
