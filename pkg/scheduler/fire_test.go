package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestFiresOncePerSlot: each slot starts one run, at its time, with the
// slot and the trigger in the job, and the log line of the start carries
// the playbook, the run id and the slot.
func TestFiresOncePerSlot(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.load(playbook("tick", "@every 1m"))
		h.run(5 * time.Minute)
		m := time.Minute
		want := utc(t10.Add(m), t10.Add(2*m), t10.Add(3*m), t10.Add(4*m), t10.Add(5*m))
		if diff := cmp.Diff(want, h.launcher.slotsOf("tick")); diff != "" {
			t.Errorf("slots started (-want +got):\n%s", diff)
		}
		for _, r := range h.launcher.started() {
			if !r.launchedAt.Equal(r.job.Slot) || r.job.Trigger != history.TriggerSchedule {
				t.Errorf("%s: launched at %s for slot %s, trigger %q", r.id, r.launchedAt, r.job.Slot, r.job.Trigger)
			}
		}
		for i, s := range h.slots("tick") {
			if !strings.HasSuffix(s, " fired") {
				t.Errorf("slot record %d: %s", i, s)
			}
		}
		lines := h.logs.lines("run started")
		if len(lines) != 5 {
			t.Fatalf("%d 'run started' log lines, want 5", len(lines))
		}
		if l := lines[0]; l["playbook"] != "tick" || l["run_id"] != "run-1" || l["slot"] != want[0] {
			t.Errorf("log line lacks playbook, run_id or slot: %v", l)
		}
		if ended := h.logs.lines("run ended"); len(ended) != 5 || ended[4]["status"] != "succeeded" || ended[4]["run_id"] != "run-5" {
			t.Errorf("'run ended' lines: %v", ended)
		}
	})
}

// TestDaylightSavingWithFakeClock runs the scheduler through both
// transitions of America/New_York and Europe/Berlin: a slot in the skipped
// hour runs once right after the gap, a slot in the repeated hour once.
func TestDaylightSavingWithFakeClock(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ny := mustZone(t, "America/New_York")
		berlin := mustZone(t, "Europe/Berlin")
		for _, tc := range []struct {
			name     string
			cron     string
			loc      *time.Location
			from, to string
			want     []string
		}{
			{"new york spring", "30 2 * * *", ny, "2026-03-07 12:00 -0500", "2026-03-09 12:00 -0400",
				[]string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
			{"new york fall", "30 1 * * *", ny, "2026-10-31 12:00 -0400", "2026-11-02 12:00 -0500",
				[]string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
			{"berlin spring", "30 2 * * *", berlin, "2026-03-28 12:00 +0100", "2026-03-30 12:00 +0200",
				[]string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
			{"berlin fall", "30 2 * * *", berlin, "2026-10-24 12:00 +0200", "2026-10-26 12:00 +0100",
				[]string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
			{"berlin spring, every half hour", "*/30 * * * *", berlin, "2026-03-29 01:00 +0100", "2026-03-29 04:00 +0200",
				[]string{"2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00", "2026-03-29T04:00:00+02:00"}},
			{"new york fall, every half hour", "*/30 * * * *", ny, "2026-11-01 00:00 -0400", "2026-11-01 03:00 -0500",
				[]string{"2026-11-01T00:30:00-04:00", "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00", "2026-11-01T03:00:00-05:00"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, at(t, tc.from))
				h.load(playbook("dst", tc.cron, zone(tc.loc)))
				h.runUntil(at(t, tc.to))
				if diff := cmp.Diff(tc.want, h.launcher.slotsOf("dst")); diff != "" {
					t.Errorf("slots started (-want +got):\n%s", diff)
				}
				for _, r := range h.launcher.started() {
					if !r.launchedAt.Equal(r.job.Slot) {
						t.Errorf("slot %s started at %s", r.job.Slot, r.launchedAt.In(tc.loc))
					}
				}
			})
		}
	})
}

// TestJitterDelaysEachFiring: the run starts at the slot plus the jitter
// drawn for it, and the job still names the slot.
func TestJitterDelaysEachFiring(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		var asked []time.Duration
		h := newHarness(t, t10, func(c *Config) {
			c.Jitter = func(max time.Duration) time.Duration { asked = append(asked, max); return 7 * time.Minute }
		})
		h.load(playbook("spread", "0 * * * *", jitter(10*time.Minute)))
		h.runUntil(t10.Add(67*time.Minute - time.Second))
		if n := len(h.launcher.started()); n != 0 {
			t.Fatalf("%d runs started before slot plus jitter", n)
		}
		h.run(2*time.Hour + time.Second)
		var got []string
		for _, r := range h.launcher.started() {
			got = append(got, r.job.Slot.Format("15:04")+" at "+r.launchedAt.Format("15:04:05"))
		}
		if diff := cmp.Diff([]string{"11:00 at 11:07:00", "12:00 at 12:07:00", "13:00 at 13:07:00"}, got); diff != "" {
			t.Errorf("starts (-want +got):\n%s", diff)
		}
		for _, d := range asked {
			if d != 10*time.Minute {
				t.Errorf("jitter asked for %s, want the schedule's 10m", d)
			}
		}
	})
}

// TestDefaultJitterIsInRange: the default jitter is random in [0, max).
func TestDefaultJitterIsInRange(t *testing.T) {
	s, err := New(Config{Launcher: &fakeLauncher{}, Store: &history.Store{}})
	if err != nil {
		t.Fatal(err)
	}
	const max = 10 * time.Millisecond
	seen := map[time.Duration]bool{}
	for range 10000 {
		d := s.cfg.Jitter(max)
		if d < 0 || d >= max {
			t.Fatalf("jitter %s outside [0, %s)", d, max)
		}
		seen[d/time.Millisecond] = true
	}
	if len(seen) < 10 {
		t.Errorf("jitter took %d of 10 millisecond buckets in 10,000 draws", len(seen))
	}
}

// TestPanicInLaunchDoesNotStopLaterSlots: a launch that panics is a slot
// that failed, recorded with the panic; the next slots fire, and a handle
// whose Status panics counts as failed.
func TestPanicInLaunchDoesNotStopLaterSlots(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.fail = func(n int, job Job) error {
			if n == 1 {
				panic("boom")
			}
			return nil
		}
		h.load(playbook("fragile", "@every 1m"))
		h.run(time.Minute + 30*time.Second)
		hl := h.s.Health()
		if last := hl.Playbooks[0].LastRun; last == nil || last.Status != report.StatusFailed || !strings.Contains(last.Error, "panic in Launch: boom") {
			t.Errorf("last run after the panic: %+v", last)
		}
		h.run(2 * time.Minute)
		m := time.Minute
		want := []string{utc(t10.Add(m))[0] + " failed", utc(t10.Add(2 * m))[0] + " fired", utc(t10.Add(3 * m))[0] + " fired"}
		if diff := cmp.Diff(want, h.slots("fragile")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
		runs, err := h.store.List(context.Background(), history.Filter{Status: report.StatusFailed})
		if err != nil || len(runs) != 1 || runs[0].Error == nil || !strings.Contains(runs[0].Error.Message, "panic in Launch: boom") {
			t.Errorf("history of the failed slot: %+v, %v", runs, err)
		}

		// A Status that panics.
		h.launcher.mu.Lock()
		h.launcher.hold = true
		h.launcher.mu.Unlock()
		h.run(time.Minute)
		r := h.launcher.started()[2]
		r.mu.Lock()
		r.stPanic = true
		r.mu.Unlock()
		r.end(report.StatusSucceeded)
		h.quiesce()
		if last := h.s.Health().Playbooks[0].LastRun; last == nil || last.Status != report.StatusFailed || last.ID != r.id {
			t.Errorf("last run after a panicking Status: %+v", last)
		}
		h.run(time.Minute)
		if n := len(h.launcher.started()); n != 4 {
			t.Errorf("%d runs started after the panics, want 4", n)
		}
	})
}

// TestLaunchErrorIsAFailedSlot: a launch that returns an error records
// the slot as failed and moves on.
func TestLaunchErrorIsAFailedSlot(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.fail = func(n int, job Job) error {
			if n == 2 {
				return context.DeadlineExceeded
			}
			return nil
		}
		h.load(playbook("p", "@every 1m"))
		h.run(3 * time.Minute)
		m := time.Minute
		want := []string{utc(t10.Add(m))[0] + " fired", utc(t10.Add(2 * m))[0] + " failed", utc(t10.Add(3 * m))[0] + " fired"}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
	})
}

// slowStore is a Store whose ClaimSlots takes time on the fake clock, as
// recording a large batch does on a real one.
type slowStore struct {
	Store
	clock *FakeClock
	took  time.Duration
}

func (s *slowStore) ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error) {
	s.clock.Advance(s.took)
	return s.Store.ClaimSlots(ctx, slots)
}

// TestSlowTickDoesNotDelayTheNextSlot: the loop's wait for the next slot
// counts from the end of a tick, so the time a tick spends recording its
// batch (30ms here) does not make every later slot fire that much later.
func TestSlowTickDoesNotDelayTheNextSlot(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		const claim = 30 * time.Millisecond
		h := newHarness(t, t10)
		h.s.cfg.Store = &slowStore{Store: h.store, clock: h.clock, took: claim}
		h.load(playbook("tick", "@every 1s"))
		for h.clock.Now().Before(t10.Add(6 * time.Second)) {
			d, _ := h.s.tick()
			h.quiesce()
			h.clock.Advance(d)
		}
		runs := h.launcher.started()
		if len(runs) < 5 {
			t.Fatalf("%d runs in 6s of @every 1s", len(runs))
		}
		for _, r := range runs {
			if late := r.launchedAt.Sub(r.job.Slot); late > claim {
				t.Errorf("the run of %s started %s after it; recording takes %s", r.job.Slot.Format(time.RFC3339), late, claim)
			}
		}
	})
}
