package scheduler

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// slotIs formats one expected slot record.
func slotIs(t time.Time, rest string) string { return utc(t)[0] + " " + rest }

// TestOverlapSkip: while a run goes on, later slots are skipped, each
// recorded in the history as skipped with the run that blocked it; once
// the run ends, the next slot fires.
func TestOverlapSkip(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.hold = true
		h.load(playbook("p", "@every 1m", overlap("skip")))
		h.run(3 * time.Minute)
		m := time.Minute
		want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(2*m), "skipped run-1"), slotIs(t10.Add(3*m), "skipped run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
		runs, err := h.store.List(context.Background(), history.Filter{Status: report.StatusSkipped, Trigger: history.TriggerSchedule})
		if err != nil || len(runs) != 2 || runs[0].BlockedBy != "run-1" || runs[0].Slot == nil || !runs[0].Slot.Equal(t10.Add(3*m)) {
			t.Errorf("skipped slots in the history: %+v, %v", runs, err)
		}
		h.launcher.started()[0].end(report.StatusSucceeded)
		h.quiesce()
		h.run(m)
		if diff := cmp.Diff(utc(t10.Add(m), t10.Add(4*m)), h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("slots started (-want +got):\n%s", diff)
		}
	})
}

// TestOverlapQueue: one slot waits for the running run and starts as soon
// as it ends; a second slot while one waits is skipped.
func TestOverlapQueue(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.hold = true
		h.load(playbook("p", "@every 1m", overlap("queue")))
		h.run(3*time.Minute + 10*time.Second)
		m := time.Minute
		want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(2*m), "queued run-1"), slotIs(t10.Add(3*m), "skipped run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records while run-1 runs (-want +got):\n%s", diff)
		}
		if q := h.s.Health().Playbooks[0].Queued; q == nil || !q.Equal(t10.Add(2*m)) {
			t.Errorf("health shows queued slot %v", q)
		}
		h.launcher.started()[0].end(report.StatusSucceeded)
		h.quiesce()
		runs := h.launcher.started()
		if len(runs) != 2 || !runs[1].job.Slot.Equal(t10.Add(2*m)) || !runs[1].launchedAt.Equal(t10.Add(3*m+10*time.Second)) {
			t.Fatalf("the queued slot did not start when run-1 ended: %d runs", len(runs))
		}
		want[1] = slotIs(t10.Add(2*m), "fired run-1")
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records after run-1 (-want +got):\n%s", diff)
		}
	})
}

// TestOverlapQueueStartingDeadline: a queued slot that waited past its
// starting_deadline is missed instead of started late.
func TestOverlapQueueStartingDeadline(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.hold = true
		h.load(playbook("p", "0 * * * *", overlap("queue"), catchup("none", 10*time.Minute)))
		h.run(2*time.Hour + 30*time.Minute)
		h.launcher.started()[0].end(report.StatusSucceeded)
		h.quiesce()
		if n := len(h.launcher.started()); n != 1 {
			t.Errorf("%d runs; the slot queued 30 minutes past its deadline started", n)
		}
		want := []string{slotIs(t10.Add(time.Hour), "fired"), slotIs(t10.Add(2*time.Hour), "missed run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
	})
}

// TestOverlapAllow: runs overlap up to MaxConcurrentRuns; past it, a slot
// is skipped, blocked by the oldest run.
func TestOverlapAllow(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10, func(c *Config) { c.MaxConcurrentRuns = 2 })
		h.launcher.hold = true
		h.load(playbook("p", "@every 1m", overlap("allow")))
		h.run(3 * time.Minute)
		m := time.Minute
		want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(2*m), "fired"), slotIs(t10.Add(3*m), "skipped run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
		if n := len(h.s.Health().Playbooks[0].Running); n != 2 {
			t.Errorf("%d runs going, want 2", n)
		}
	})
}

// TestOverlapReplace: a new slot cancels the running run, waits for it to
// end (its finally steps run), then starts.
func TestOverlapReplace(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.hold = true
		h.load(playbook("p", "@every 1m", overlap("replace")))
		h.run(2 * time.Minute)
		runs := h.launcher.started()
		if len(runs) != 1 {
			t.Fatalf("%d runs started before run-1 ended, want 1", len(runs))
		}
		if causes := runs[0].cancelCauses(); len(causes) != 1 || !errors.Is(causes[0], ErrReplaced) {
			t.Errorf("run-1 cancelled with %v, want ErrReplaced", causes)
		}
		h.run(20 * time.Second)
		if n := len(h.launcher.started()); n != 1 {
			t.Fatalf("the new run started while the replaced one still ran")
		}
		runs[0].end(report.StatusCancelled)
		h.quiesce()
		runs = h.launcher.started()
		m := time.Minute
		if len(runs) != 2 || !runs[1].job.Slot.Equal(t10.Add(2*m)) || !runs[1].launchedAt.Equal(t10.Add(2*m+20*time.Second)) {
			t.Fatalf("the replacing run did not start when run-1 ended: %d runs", len(runs))
		}
		if last := h.s.Health().Playbooks[0].LastRun; last == nil || last.Status != report.StatusCancelled || last.ID != "run-1" {
			t.Errorf("last run: %+v", last)
		}
		want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(2*m), "fired run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
	})
}

// TestOverlapReplaceSupersedesAWaitingSlot: when the replaced run takes
// longer than a period to end, the newer slot takes the waiting place and
// the older one is recorded skipped.
func TestOverlapReplaceSupersedesAWaitingSlot(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.hold = true
		h.load(playbook("p", "@every 1m", overlap("replace")))
		h.run(3 * time.Minute)
		h.launcher.started()[0].end(report.StatusCancelled)
		h.quiesce()
		runs := h.launcher.started()
		m := time.Minute
		if len(runs) != 2 || !runs[1].job.Slot.Equal(t10.Add(3*m)) {
			t.Fatalf("want one replacing run, for the newest slot; got %d runs", len(runs))
		}
		want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(2*m), "skipped run-1"), slotIs(t10.Add(3*m), "fired run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
	})
}

// TestOverlapSkipBehindAStartingRun: a slot that comes while the run of
// the slot before is still being started (its Launch has not returned, so
// it has no id yet) is skipped, and its history row names that run once it
// has one. When that run cannot be started after all, the slot is still
// recorded skipped, blocked by no run.
func TestOverlapSkipBehindAStartingRun(t *testing.T) {
	for _, tc := range []struct {
		name      string
		launchErr error
		want      string // the skipped slot's blocked_by
	}{
		{"started", nil, "run-1"},
		{"failed", errors.New("no place"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T) {
				h := newHarness(t, t10)
				h.launcher.hold = true
				gate := make(chan struct{})
				h.launcher.fail = func(int, Job) error { <-gate; return tc.launchErr }
				h.load(playbook("p", "@every 1m", overlap("skip")))
				m := time.Minute
				h.clock.Advance(m)
				h.s.tick() // 10:01 fires; its Launch waits for the gate
				h.clock.Advance(m)
				h.s.tick() // 10:02 comes while the run of 10:01 is starting
				close(gate)
				h.quiesce()
				first := "fired"
				if tc.launchErr != nil {
					first = "failed"
				}
				want := []string{slotIs(t10.Add(m), first), strings.TrimSpace(slotIs(t10.Add(2*m), "skipped "+tc.want))}
				if diff := cmp.Diff(want, h.slots("p")); diff != "" {
					t.Errorf("slot records (-want +got):\n%s", diff)
				}
				runs, err := h.store.List(context.Background(), history.Filter{Status: report.StatusSkipped})
				if err != nil || len(runs) != 1 || runs[0].BlockedBy != tc.want || runs[0].Slot == nil || !runs[0].Slot.Equal(t10.Add(2*m)) {
					t.Errorf("skipped slots in the history: %+v, %v; want one, blocked by %q", runs, err, tc.want)
				}
				if got := metricValue(t, h.s, "arsenal_schedule_slots_skipped_total", "p"); got != 1 {
					t.Errorf("skipped counter %v, want 1", got)
				}
			})
		})
	}
}

// TestOverlapAfterRemovedAndAddedBack: a reload that removes a playbook
// while its run goes on, and a later one that adds it back, leave the run
// its own: the next slot is skipped behind it, not run beside it.
func TestOverlapAfterRemovedAndAddedBack(t *testing.T) {
	h := newHarness(t, t10)
	h.launcher.hold = true
	p, q := playbook("p", "@every 1m", overlap("skip")), playbook("q", "@every 1h")
	h.load(p, q)
	m := time.Minute
	h.run(m + 10*time.Second)
	h.load(q)
	h.run(m)
	h.load(p, q)
	h.run(m)
	if n := len(h.launcher.slotsOf("p")); n != 1 {
		t.Errorf("p started %d runs, want 1: the run from before its removal still goes", n)
	}
	want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(3*m), "skipped run-1")}
	if diff := cmp.Diff(want, h.slots("p")); diff != "" {
		t.Errorf("slot records (-want +got):\n%s", diff)
	}
	if r := h.s.Health().Running; r != 1 {
		t.Errorf("health: %d running, want 1", r)
	}
}

// TestRemovedPlaybookQueuedSlotIsMissed: a reload that removes a playbook
// whose slot is queued behind its run records the slot missed as every
// missed slot is: its message says "missed:" and why, the log says so,
// and the missed counter counts it.
func TestRemovedPlaybookQueuedSlotIsMissed(t *testing.T) {
	h := newHarness(t, t10)
	h.launcher.hold = true
	p, q := playbook("p", "@every 1m", overlap("queue")), playbook("q", "@every 1h")
	h.load(p, q)
	m := time.Minute
	h.run(2*m + 10*time.Second)
	h.load(q)
	want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(2*m), "missed run-1")}
	if diff := cmp.Diff(want, h.slots("p")); diff != "" {
		t.Errorf("slot records (-want +got):\n%s", diff)
	}
	recs, err := h.store.Slots(context.Background(), "p", t10.Add(2*m), 1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("slots: %v, %v", recs, err)
	}
	const msg = "missed: the playbook was removed from the schedule before its queued run could start"
	if recs[0].Message != msg {
		t.Errorf("the queued slot's record says %q, want %q", recs[0].Message, msg)
	}
	if lines := h.logs.lines(msg); len(lines) != 1 || lines[0]["playbook"] != "p" || lines[0]["slot"] != utc(t10.Add(2 * m))[0] {
		t.Errorf("log of the queued slot: %v", lines)
	}
	if got := metricValue(t, h.s, "arsenal_schedule_slots_missed_total", "p"); got != 1 {
		t.Errorf("missed counter %v, want 1", got)
	}
}
