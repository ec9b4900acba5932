package scheduler

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// TestExactlyOnceAcrossRestart: a scheduler killed and started again on
// the same state dir, at the same moment or within a slot, fires nothing
// twice, then goes on with the next slots.
func TestExactlyOnceAcrossRestart(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		pb := playbook("p", "@every 1m")
		h.load(pb)
		h.run(3 * time.Minute)
		h.restart()
		h.load(pb)
		h.run(0)
		h.run(30 * time.Second)
		h.restart()
		h.load(pb)
		h.run(2*time.Minute + 30*time.Second)
		m := time.Minute
		want := utc(t10.Add(m), t10.Add(2*m), t10.Add(3*m), t10.Add(4*m), t10.Add(5*m), t10.Add(6*m))
		if diff := cmp.Diff(want, h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("slots started (-want +got):\n%s", diff)
		}
	})
}

// TestTwoSchedulersOneStateDir: two schedulers on one state dir, as two
// processes would be, ticking at the same moments: each slot fires once.
func TestTwoSchedulersOneStateDir(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		pb := playbook("p", "@every 1m")
		h.load(pb)
		other := *h
		other.open()
		other.load(pb)
		for range 5 {
			h.clock.Advance(time.Minute)
			h.s.tick()
			other.s.tick()
			h.quiesce()
			other.quiesce()
		}
		m := time.Minute
		want := utc(t10.Add(m), t10.Add(2*m), t10.Add(3*m), t10.Add(4*m), t10.Add(5*m))
		if diff := cmp.Diff(want, h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("slots started by both (-want +got):\n%s", diff)
		}
	})
}

// TestCatchupLast: after downtime, the latest missed slot runs once and
// the others are recorded missed; later slots fire as usual.
func TestCatchupLast(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10.Add(-30*time.Minute))
		pb := playbook("p", "0 * * * *", catchup("last", 0))
		h.load(pb)
		h.runUntil(t10.Add(30 * time.Minute))
		h.restart()
		h.clock.Jump(5 * time.Hour) // down until 15:30
		h.load(pb)
		h.run(0)
		hr := time.Hour
		runs := h.launcher.started()
		if len(runs) != 2 || !runs[1].job.Slot.Equal(t10.Add(5*hr)) || !runs[1].launchedAt.Equal(t10.Add(5*hr+30*time.Minute)) {
			t.Fatalf("want the 15:00 slot caught up at 15:30; got %d runs", len(runs))
		}
		h.run(time.Hour)
		want := []string{
			slotIs(t10, "fired"), slotIs(t10.Add(hr), "missed"), slotIs(t10.Add(2*hr), "missed"), slotIs(t10.Add(3*hr), "missed"),
			slotIs(t10.Add(4*hr), "missed"), slotIs(t10.Add(5*hr), "fired"), slotIs(t10.Add(6*hr), "fired"),
		}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
		missed, err := h.store.List(context.Background(), history.Filter{Status: history.StatusMissed})
		if err != nil || len(missed) != 4 {
			t.Errorf("missed slots in the history: %d, %v", len(missed), err)
		}
		if got := metricValue(t, h.s, "arsenal_schedule_slots_missed_total", "p"); got != 4 {
			t.Errorf("missed counter %v, want 4", got)
		}
		if lines := h.logs.lines("catching up the latest missed slot (catchup: last)"); len(lines) != 1 || lines[0]["slot"] != utc(t10.Add(5 * hr))[0] {
			t.Errorf("log of the slot caught up: %v", lines)
		}
	})
}

// TestLeftOutPlaybookComesBackAsNew: a playbook a restart left out of the
// scheduler, while another ran, is taken back as a new schedule when a
// later start loads it again: the hours it was out are not missed slots,
// and catchup: last fires nothing for them.
func TestLeftOutPlaybookComesBackAsNew(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10.Add(-30*time.Minute))
		p, q := playbook("p", "0 * * * *", catchup("last", 0)), playbook("q", "0 * * * *")
		h.load(p, q)
		h.runUntil(t10.Add(30 * time.Minute))
		h.restart()
		h.load(q) // p left out
		h.run(5 * time.Hour)
		h.restart()
		h.load(p, q)
		h.run(time.Hour)
		hr := time.Hour
		if diff := cmp.Diff([]string{slotIs(t10, "fired"), slotIs(t10.Add(6*hr), "fired")}, h.slots("p")); diff != "" {
			t.Errorf("slot records of p (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(utc(t10, t10.Add(6*hr)), h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("runs of p (-want +got):\n%s", diff)
		}
	})
}

// TestCatchupLastStartingDeadline: the latest missed slot is older than
// starting_deadline, so it is missed too.
func TestCatchupLastStartingDeadline(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10.Add(-30*time.Minute))
		pb := playbook("p", "0 * * * *", catchup("last", 20*time.Minute))
		h.load(pb)
		h.runUntil(t10.Add(30 * time.Minute))
		h.restart()
		h.clock.Jump(5 * time.Hour)
		h.load(pb)
		h.run(0)
		if n := len(h.launcher.started()); n != 1 {
			t.Fatalf("%d runs; the 15:00 slot was 30 minutes late with a 20 minute deadline", n)
		}
		if got := h.slots("p"); len(got) != 6 || got[5] != slotIs(t10.Add(5*time.Hour), "missed") {
			t.Errorf("slot records: %v", got)
		}
		// Within the deadline it runs.
		h.restart()
		h.clock.Jump(2*time.Hour - 45*time.Minute) // 16:45; down since 15:30, 16:00 missed by 45m
		h.load(playbook("p", "0 * * * *", catchup("last", time.Hour)))
		h.run(0)
		if runs := h.launcher.started(); len(runs) != 2 || !runs[1].job.Slot.Equal(t10.Add(6*time.Hour)) {
			t.Errorf("16:00 was 45 minutes late with a 1h deadline: %d runs", len(runs))
		}
	})
}

// TestCatchupNone: after downtime the missed slots are recorded and none
// runs; the next slot fires on time.
func TestCatchupNone(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10.Add(-30*time.Minute))
		pb := playbook("p", "0 * * * *", catchup("none", 0))
		h.load(pb)
		h.runUntil(t10.Add(30 * time.Minute))
		h.restart()
		h.clock.Jump(5 * time.Hour)
		h.load(pb)
		h.run(0)
		if n := len(h.launcher.started()); n != 1 {
			t.Fatalf("%d runs after downtime with catchup none, want only the 10:00 one", n)
		}
		h.run(time.Hour)
		hr := time.Hour
		want := []string{
			slotIs(t10, "fired"), slotIs(t10.Add(hr), "missed"), slotIs(t10.Add(2*hr), "missed"), slotIs(t10.Add(3*hr), "missed"),
			slotIs(t10.Add(4*hr), "missed"), slotIs(t10.Add(5*hr), "missed"), slotIs(t10.Add(6*hr), "fired"),
		}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
	})
}

// TestEditNeverFiresRetroactively: a schedule edited by a reload, or while
// the scheduler was down, fires from the edit on, even with catchup last.
func TestEditNeverFiresRetroactively(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10.Add(-30*time.Minute))
		h.load(playbook("p", "0 * * * *", catchup("last", 0)))
		h.runUntil(t10.Add(30 * time.Minute)) // 10:00 fired
		// At 10:30, edited to 10:20 past each hour: 10:20 is not fired.
		h.load(playbook("p", "20 * * * *", catchup("last", 0)))
		h.runUntil(t10.Add(90 * time.Minute))
		if diff := cmp.Diff(utc(t10, t10.Add(80*time.Minute)), h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("after a reload (-want +got):\n%s", diff)
		}
		// Down from 11:30 to 13:00, edited meanwhile to 45 past: 11:45 and
		// 12:45 are not caught up.
		h.restart()
		h.clock.Jump(90 * time.Minute)
		h.load(playbook("p", "45 * * * *", catchup("last", 0)))
		h.run(time.Hour)
		if diff := cmp.Diff(utc(t10, t10.Add(80*time.Minute), t10.Add(225*time.Minute)), h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("after an edit while down (-want +got):\n%s", diff)
		}
	})
}

// TestForwardClockJumpNoticedWithin30s: the real loop never waits longer
// than 30 s, so a wall-clock jump (a suspended VM) is noticed on the next
// check: the slots in between are missed, and the loop goes on.
func TestForwardClockJumpNoticedWithin30s(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10.Add(-time.Minute))
		h.load(playbook("p", "0 * * * *"))
		stop := h.startLoop()
		defer stop()
		h.loopStep(time.Minute) // 10:00 fires
		if n := len(h.launcher.started()); n != 1 {
			t.Fatalf("%d runs at 10:00", n)
		}
		h.clock.Jump(3*time.Hour + 10*time.Minute) // suspended: the wall clock moves, timers do not
		h.loopStep(30 * time.Second)
		hr := time.Hour
		want := []string{slotIs(t10, "fired"), slotIs(t10.Add(hr), "missed"), slotIs(t10.Add(2*hr), "missed"), slotIs(t10.Add(3*hr), "missed")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records after the jump (-want +got):\n%s", diff)
		}
		h.loopStep(time.Hour)
		if diff := cmp.Diff(utc(t10, t10.Add(4*hr)), h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("slots started (-want +got):\n%s", diff)
		}
	})
}

// TestBackwardClockJumpNeverRefires: after the wall clock goes back, the
// slots already decided do not fire again, in this process or after a
// restart, and the first new slot fires once.
func TestBackwardClockJumpNeverRefires(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		pb := playbook("p", "@every 1m")
		h.load(pb)
		h.run(5 * time.Minute) // 10:01 .. 10:05
		h.clock.Jump(-10 * time.Minute)
		h.run(10*time.Minute + 30*time.Second) // back to 10:05:30
		m := time.Minute
		fired := utc(t10.Add(m), t10.Add(2*m), t10.Add(3*m), t10.Add(4*m), t10.Add(5*m))
		if diff := cmp.Diff(fired, h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("slots started after going back (-want +got):\n%s", diff)
		}
		if len(h.logs.lines("the wall clock went back; slots already decided will not fire again")) != 1 {
			t.Error("the backward jump was not logged")
		}
		h.clock.Jump(-10 * time.Minute)
		h.restart()
		h.load(pb)
		h.run(11 * time.Minute) // to 10:06:30
		if diff := cmp.Diff(append(fired, utc(t10.Add(6*m))...), h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("slots started after a restart in the past (-want +got):\n%s", diff)
		}
	})
}

// TestStoreFailureHoldsFiring: while the history cannot record a slot,
// nothing fires and the health says so; once it can, the slot fires if
// still on time.
func TestStoreFailureHoldsFiring(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.load(playbook("p", "@every 1m"))
		fs := &failingStore{Store: h.store, failures: 1}
		h.s.cfg.Store = fs
		h.runUntil(t10.Add(time.Minute))
		if n := len(h.launcher.started()); n != 0 {
			t.Fatalf("%d runs while the store failed", n)
		}
		if hl := h.s.Health(); hl.Status != "degraded" || hl.StoreError == nil {
			t.Errorf("health while the store fails: %s, %v", hl.Status, hl.StoreError)
		}
		h.run(10 * time.Second)
		runs := h.launcher.started()
		// The claim failed when the slot was decided, the lead before it,
		// and was tried again storeRetry later.
		if len(runs) != 1 || !runs[0].job.Slot.Equal(t10.Add(time.Minute)) || !runs[0].launchedAt.Equal(t10.Add(time.Minute-DefaultLead+storeRetry)) {
			t.Fatalf("the slot did not fire once the store recovered: %d runs", len(runs))
		}
		if hl := h.s.Health(); hl.Status != "ok" {
			t.Errorf("health after recovery: %s", hl.Status)
		}
	})
}

type failingStore struct {
	store.Store
	failures int
}

func (f *failingStore) ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error) {
	if f.failures > 0 {
		f.failures--
		return nil, context.DeadlineExceeded
	}
	return f.Store.ClaimSlots(ctx, slots)
}

// TestTakeoverFiresTheSlotsOfTheGap: a scheduler that takes over from one
// that died (Config.Takeover) fires each slot of the gap once, where a
// scheduler restarted on one host fires only the newest.
func TestTakeoverFiresTheSlotsOfTheGap(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10, func(c *Config) { c.Takeover = 10 * time.Second })
		pb := playbook("p", "@every 1s", overlap("allow"))
		h.load(pb)
		h.run(2 * time.Second)
		h.restart() // the leader died; another one loads the schedules later
		h.clock.Advance(4 * time.Second)
		h.load(pb)
		h.run(time.Second)
		s := time.Second
		want := utc(t10.Add(s), t10.Add(2*s), t10.Add(3*s), t10.Add(4*s), t10.Add(5*s), t10.Add(6*s), t10.Add(7*s))
		got := h.launcher.slotsOf("p")
		slices.Sort(got) // the runs of one batch are launched at once
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("slots fired (-want +got):\n%s", diff)
		}
		for _, rec := range h.slots("p") {
			if !strings.HasSuffix(rec, " fired") {
				t.Errorf("slot %s: want fired", rec)
			}
		}
	})
}

// takeOver loads pb on h, lets the leader run until died, drops it, and
// has a new leader load pb gap later and tick once.
func takeOver(h *harness, pb *steps.Playbook, died time.Time, gap time.Duration) {
	h.t.Helper()
	h.load(pb)
	h.runUntil(died)
	h.restart()
	h.clock.Advance(gap)
	h.load(pb)
	h.runUntil(h.clock.Now())
}

// slotMessages returns the messages of a playbook's slot records, oldest
// first.
func slotMessages(h *harness, name string) []string {
	h.t.Helper()
	recs, err := h.store.Slots(context.Background(), name, time.Time{}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Message)
	}
	return out
}

// TestTakeoverFiresTheNewestSlotOfTheGap: the only slot of a leader
// change found later than the tolerance but within Takeover fires, under
// catchup: none too; past Takeover it was missed.
func TestTakeoverFiresTheNewestSlotOfTheGap(t *testing.T) {
	five := t10.Add(5 * time.Minute)
	for _, tc := range []struct {
		name string
		gap  time.Duration
		want string
	}{
		{"within", 85 * time.Second, "fired"}, // found at 10:06:15
		{"past", 2 * time.Minute, "missed"},   // found at 10:06:50
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T) {
				h := newHarness(t, t10, func(c *Config) { c.Takeover = 90 * time.Second })
				takeOver(h, playbook("p", "*/5 * * * *", catchup("none", 0)), t10.Add(4*time.Minute+50*time.Second), tc.gap)
				if diff := cmp.Diff([]string{slotIs(five, tc.want)}, h.slots("p")); diff != "" {
					t.Errorf("slot records (-want +got):\n%s", diff)
				}
				var want []string
				if tc.want == "fired" {
					want = utc(five)
				}
				if diff := cmp.Diff(want, h.launcher.slotsOf("p")); diff != "" {
					t.Errorf("slots started (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestTakeoverGapOverlap: the slots of a gap fired in one batch count for
// the later ones as runs still starting, so each overlap policy holds
// among them, and a skipped slot names the run that blocked it once that
// run has an id: the leader died at 10:00:05 and the next one finds the
// slots 10:00:10 to 10:00:40 at 10:00:45. BLOCKER in records stands for
// the run of 10:00:10 (the runs of one batch are launched at once, in no
// set order).
func TestTakeoverGapOverlap(t *testing.T) {
	s := func(n int) time.Time { return t10.Add(time.Duration(n) * 10 * time.Second) }
	starting := func(policy string) string {
		return "skipped: the run of the slot of 2026-06-01T10:00:10Z was still starting (overlap: " + policy + ")"
	}
	for _, tc := range []struct {
		policy  string
		records []string
		msgs    []string
		started []string
	}{{
		policy:  "skip",
		records: []string{slotIs(s(1), "fired"), slotIs(s(2), "skipped BLOCKER"), slotIs(s(3), "skipped BLOCKER"), slotIs(s(4), "skipped BLOCKER")},
		msgs:    []string{"", starting("skip"), starting("skip"), starting("skip")},
		started: utc(s(1)),
	}, {
		policy:  "queue",
		records: []string{slotIs(s(1), "fired"), slotIs(s(2), "queued"), slotIs(s(3), "skipped BLOCKER"), slotIs(s(4), "skipped BLOCKER")},
		msgs:    []string{"", "queued behind a run of this playbook still starting", starting("queue, and a slot is queued already"), starting("queue, and a slot is queued already")},
		started: utc(s(1)),
	}, {
		policy:  "allow",
		records: []string{slotIs(s(1), "fired"), slotIs(s(2), "fired"), slotIs(s(3), "skipped BLOCKER"), slotIs(s(4), "skipped BLOCKER")},
		msgs:    []string{"", "", starting("allow, at most 2 of its runs at once, the default"), starting("allow, at most 2 of its runs at once, the default")},
		started: utc(s(1), s(2)),
	}, {
		policy:  "replace",
		records: []string{slotIs(s(1), "skipped"), slotIs(s(2), "skipped"), slotIs(s(3), "skipped"), slotIs(s(4), "fired")},
		msgs: []string{
			"skipped: replaced by the slot of 2026-06-01T10:00:40Z (overlap: replace)",
			"skipped: replaced by the slot of 2026-06-01T10:00:40Z (overlap: replace)",
			"skipped: replaced by the slot of 2026-06-01T10:00:40Z (overlap: replace)",
			"",
		},
		started: utc(s(4)),
	}} {
		t.Run(tc.policy, func(t *testing.T) {
			eachStore(t, func(t *testing.T) {
				h := newHarness(t, t10, func(c *Config) { c.Takeover = 90 * time.Second; c.MaxConcurrentRuns = 2 })
				h.launcher.hold = true
				takeOver(h, playbook("p", "@every 10s", overlap(tc.policy)), t10.Add(5*time.Second), 40*time.Second)
				blocker := ""
				for _, r := range h.launcher.started() {
					if r.job.Slot.Equal(s(1)) {
						blocker = r.id
					}
				}
				records := make([]string, len(tc.records))
				for i, r := range tc.records {
					records[i] = strings.Replace(r, "BLOCKER", blocker, 1)
				}
				if diff := cmp.Diff(records, h.slots("p")); diff != "" {
					t.Errorf("slot records (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.msgs, slotMessages(h, "p")); diff != "" {
					t.Errorf("slot messages (-want +got):\n%s", diff)
				}
				started := h.launcher.slotsOf("p")
				slices.Sort(started) // the runs of one batch are launched at once
				if diff := cmp.Diff(tc.started, started); diff != "" {
					t.Errorf("slots started (-want +got):\n%s", diff)
				}
				if tc.policy != "queue" {
					return
				}
				h.launcher.started()[0].end(report.StatusSucceeded)
				h.quiesce()
				if diff := cmp.Diff(utc(s(1), s(2)), h.launcher.slotsOf("p")); diff != "" {
					t.Errorf("slots started after run-1 (-want +got):\n%s", diff)
				}
				want := slices.Clone(records)
				want[1] = slotIs(s(2), "fired run-1")
				if diff := cmp.Diff(want, h.slots("p")); diff != "" {
					t.Errorf("slot records after run-1 (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestTakeoverGapQueuesOneBehindARunningRun: with a run going, a gap
// under overlap: queue queues its first slot and skips the others, as
// slots that come one by one would be; none is dropped as superseded.
func TestTakeoverGapQueuesOneBehindARunningRun(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10, func(c *Config) { c.Takeover = 90 * time.Second })
		h.launcher.hold = true
		h.load(playbook("p", "@every 10s", overlap("queue")))
		h.run(15 * time.Second) // run-1 for 10:00:10 goes on
		h.clock.Advance(40 * time.Second)
		h.runUntil(h.clock.Now())
		s := func(n int) time.Time { return t10.Add(time.Duration(n) * 10 * time.Second) }
		want := []string{slotIs(s(1), "fired"), slotIs(s(2), "queued run-1"), slotIs(s(3), "skipped run-1"), slotIs(s(4), "skipped run-1"), slotIs(s(5), "skipped run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
		for _, msg := range slotMessages(h, "p") {
			if strings.Contains(msg, "superseded") {
				t.Errorf("a slot of the gap was superseded: %s", msg)
			}
		}
	})
}

// TestTakeoverStartingDeadline: a new leader applies starting_deadline to
// the slots of the gap as catch-up does after a restart: a slot older
// than its deadline when found is missed, not started late.
func TestTakeoverStartingDeadline(t *testing.T) {
	t.Run("gap", func(t *testing.T) {
		eachStore(t, func(t *testing.T) {
			// The leader died at 10:00:05; the next one finds the slots
			// 10:00:10 to 10:00:40 at 10:00:45, the oldest two more than
			// 15s late.
			h := newHarness(t, t10, func(c *Config) { c.Takeover = 90 * time.Second })
			h.launcher.hold = true
			pb := playbook("p", "@every 10s", overlap("allow"), catchup("none", 15*time.Second))
			takeOver(h, pb, t10.Add(5*time.Second), 40*time.Second)
			s := func(n int) time.Time { return t10.Add(time.Duration(n) * 10 * time.Second) }
			want := []string{slotIs(s(1), "missed"), slotIs(s(2), "missed"), slotIs(s(3), "fired"), slotIs(s(4), "fired")}
			if diff := cmp.Diff(want, h.slots("p")); diff != "" {
				t.Errorf("slot records (-want +got):\n%s", diff)
			}
			for _, msg := range slotMessages(h, "p")[:2] {
				if !strings.Contains(msg, "starting_deadline of 15s") {
					t.Errorf("a slot missed by its deadline says %q", msg)
				}
			}
			started := h.launcher.slotsOf("p")
			slices.Sort(started) // the runs of one batch are launched at once
			if diff := cmp.Diff(utc(s(3), s(4)), started); diff != "" {
				t.Errorf("slots started (-want +got):\n%s", diff)
			}
		})
	})
	t.Run("newest", func(t *testing.T) {
		eachStore(t, func(t *testing.T) {
			// The only slot of the gap, 10:05, is found at 10:06:15: within
			// Takeover, but 75s late with a deadline of 1m.
			h := newHarness(t, t10, func(c *Config) { c.Takeover = 90 * time.Second })
			pb := playbook("p", "*/5 * * * *", catchup("last", time.Minute))
			takeOver(h, pb, t10.Add(4*time.Minute+50*time.Second), 85*time.Second)
			if diff := cmp.Diff([]string{slotIs(t10.Add(5*time.Minute), "missed")}, h.slots("p")); diff != "" {
				t.Errorf("slot records (-want +got):\n%s", diff)
			}
			if msgs := slotMessages(h, "p"); len(msgs) != 1 || !strings.Contains(msgs[0], "starting_deadline of 1m") {
				t.Errorf("slot messages: %q", msgs)
			}
			if n := len(h.launcher.started()); n != 0 {
				t.Errorf("%d runs started for a slot past its deadline", n)
			}
		})
	})
}
