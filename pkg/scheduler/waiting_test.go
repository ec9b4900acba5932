package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

const shortSleepSteps = "steps:\n  - {id: nap, op: control.sleep, with: {duration: 500ms}}\n"

// waitingRun returns the playbook whose run waits for a place, once one
// does, and the one whose run runs.
func (rh *runHarness) waitingRun() (waiting, running string) {
	rh.t.Helper()
	waitFor(rh.t, "a run to wait for a place", func() bool { return rh.s.Health().Waiting == 1 })
	for _, pb := range rh.s.Health().Playbooks {
		for _, r := range pb.Running {
			switch r.Status {
			case "waiting":
				waiting = pb.Name
			case "running":
				running = pb.Name
			}
		}
	}
	return waiting, running
}

// TestStopNeverStartsARunWaitingForAPlace: under --max-concurrent-runs 1,
// two playbooks fire at once; one runs, the other waits for the place and
// counts as waiting, not running. The scheduler stops: the waiting run is
// never started, even though the running one ends well within the grace,
// and its slot is recorded missed, saying why, in the slots and in the
// history.
func TestStopNeverStartsARunWaitingForAPlace(t *testing.T) {
	rh := newRunHarnessMax(t, t10.Add(-time.Second), nil, 1, func(c *Config) { c.Grace = 30 * time.Second })
	rh.load(rh.playbook("a", "@every 1m", shortSleepSteps), rh.playbook("b", "@every 1m", shortSleepSteps))
	rh.run(time.Second) // 10:00 fires both
	waiting, running := rh.waitingRun()
	if waiting == "" || running == "" {
		t.Fatalf("health: %+v", rh.s.Health())
	}
	if hl := rh.s.Health(); hl.Running != 1 || hl.Waiting != 1 {
		t.Errorf("health counts %d running, %d waiting; want 1 and 1", hl.Running, hl.Waiting)
	}
	if got := metricValue(t, rh.s, "arsenal_schedule_runs_running", ""); got != 1 {
		t.Errorf("runs_running = %v, want 1", got)
	}
	if got := metricValue(t, rh.s, "arsenal_schedule_runs_waiting", ""); got != 1 {
		t.Errorf("runs_waiting = %v, want 1", got)
	}
	if err := rh.s.shutdown(); err != nil {
		t.Fatal(err)
	}
	byName := map[string]report.Status{}
	for _, r := range rh.rows() {
		byName[r.Playbook] = r.Status
	}
	if byName[running] != report.StatusSucceeded || byName[waiting] != history.StatusMissed || len(byName) != 2 {
		t.Errorf("history: %v; want %s succeeded, %s missed", byName, running, waiting)
	}
	slots, err := rh.store.Slots(context.Background(), waiting, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 1 || slots[0].Outcome != history.SlotMissed || !strings.Contains(slots[0].Message, "the scheduler stopped before the run could start") {
		t.Errorf("slots of %s: %+v", waiting, slots)
	}
	for _, l := range rh.logs.lines("run started") {
		if l["playbook"] == waiting {
			t.Errorf("the run of %s started after the stop: %v", waiting, l)
		}
	}
}

// TestDelayCountsTheWaitForAPlace: a run that waited for a place has its
// real start in /healthz and in its delay, not its slot.
func TestDelayCountsTheWaitForAPlace(t *testing.T) {
	rh := newRunHarnessMax(t, t10.Add(-time.Second), nil, 1)
	rh.load(rh.playbook("a", "@every 1m", shortSleepSteps), rh.playbook("b", "@every 1m", shortSleepSteps))
	rh.run(time.Second) // 10:00 fires both
	waiting, _ := rh.waitingRun()
	for _, pb := range rh.s.Health().Playbooks {
		if pb.Name == waiting && (len(pb.Running) != 1 || pb.Running[0].StartedAt != nil) {
			t.Errorf("the waiting run in health: %+v", pb.Running)
		}
	}
	rh.clock.Advance(5 * time.Second) // the fake clock, while the other runs
	rh.settle()
	var delay float64
	for _, l := range rh.logs.lines("run started") {
		if l["playbook"] == waiting {
			delay, _ = l["delay_ms"].(float64)
		}
	}
	if delay < 5000 {
		t.Errorf("the waiting run's delay_ms = %v, want at least 5000", delay)
	}
	if rh.s.Health().Waiting != 0 || metricValue(t, rh.s, "arsenal_schedule_runs_waiting", "") != 0 {
		t.Error("a run still counts as waiting after the runs ended")
	}
}

// TestCatchUpDelayIsTheRealLateness: a slot caught up 66s late (catchup:
// last) logs its delay as 66s, not as the moment it took to decide it.
func TestCatchUpDelayIsTheRealLateness(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second), func(c *Config) { c.Lead = -1 })
	h.load(playbook("late", "@every 5m", catchup("last", 0)))
	h.clock.Jump(67 * time.Second) // 10:01:06: the 10:00 slot is 66s late
	h.run(time.Millisecond)
	lines := h.logs.lines("run started")
	if len(lines) != 1 {
		t.Fatalf("run started lines: %v", lines)
	}
	if d, _ := lines[0]["delay_ms"].(float64); d < 66000 || d > 67000 {
		t.Errorf("delay_ms = %v, want about 66000", d)
	}
}

// TestDelayOfAQueuedSlotLeavesOutItsJitter: a slot queued behind a run
// (overlap: queue or replace) was planned for its slot plus its jitter;
// its run's delay is what it waited from then, not the jitter as well.
func TestDelayOfAQueuedSlotLeavesOutItsJitter(t *testing.T) {
	for _, policy := range []string{"queue", "replace"} {
		t.Run(policy, func(t *testing.T) {
			h := newHarness(t, t10, func(c *Config) {
				c.Jitter = func(time.Duration) time.Duration { return 20 * time.Second }
			})
			h.launcher.hold = true
			h.load(playbook("p", "@every 1m", overlap(policy), jitter(30*time.Second)))
			h.runUntil(t10.Add(2*time.Minute + 30*time.Second)) // 10:01:20 fires, 10:02:20 queues
			runs := h.launcher.started()
			if len(runs) != 1 {
				t.Fatalf("%d runs started, want 1", len(runs))
			}
			runs[0].end(report.StatusSucceeded) // 10:02:30, 10s after 10:02:20
			h.quiesce()
			lines := h.logs.lines("run started")
			if len(lines) != 2 {
				t.Fatalf("run started lines: %v", lines)
			}
			if d, _ := lines[1]["delay_ms"].(float64); d != 10000 {
				t.Errorf("delay_ms of the queued slot = %v, want 10000 (from 10:02:20, its slot plus jitter)", d)
			}
		})
	}
}

// TestWaitForAPlaceIsLoggedAtInfo: under --max-concurrent-runs 1, the
// first run that waits for the place says so at info, the level a
// scheduler runs at, with the run that holds the place: a late slot is
// not silent. The next run waiting within the minute is logged at debug
// (a burst of a thousand slots would log hundreds of lines a second), and
// each waited run's "run started" says how long it waited.
func TestWaitForAPlaceIsLoggedAtInfo(t *testing.T) {
	rh := newRunHarnessMax(t, t10.Add(-time.Second), nil, 1)
	rh.load(rh.playbook("a", "@every 1m", shortSleepSteps), rh.playbook("b", "@every 1m", shortSleepSteps), rh.playbook("c", "@every 1m", shortSleepSteps))
	rh.run(time.Second) // 10:00 fires all three
	waitFor(t, "two runs to wait for a place", func() bool { return rh.s.Health().Waiting == 2 })
	lines := rh.logs.lines("run waiting for a place among the concurrent runs")
	if len(lines) != 2 {
		t.Fatalf("waiting lines: %v", lines)
	}
	// running counts the runs started by then: the one holding the place
	// may still be on its way to starting.
	if l := lines[0]; l["level"] != "info" || l["waiting_before"] != 0.0 || (l["running"] != 0.0 && l["running"] != 1.0) {
		t.Errorf("first waiting line: %v; want level info, running 0 or 1, waiting_before 0", l)
	}
	if l := lines[1]; l["level"] != "debug" || l["waiting_before"] != 1.0 {
		t.Errorf("second waiting line: %v; want level debug, waiting_before 1", l)
	}
	waitFor(t, "all three runs to start", func() bool { return len(rh.logs.lines("run started")) == 3 })
	waitedRuns := 0
	for _, l := range rh.logs.lines("run started") {
		if _, ok := l["waited_ms"]; ok {
			waitedRuns++
		}
	}
	if waitedRuns != 2 {
		t.Errorf("%d 'run started' lines say how long they waited, want 2: %v", waitedRuns, rh.logs.lines("run started"))
	}
	rh.clock.Advance(5 * time.Second)
	rh.settle()
}

// TestAllowSkipBehindAWaitingRun: under overlap allow at
// --max-concurrent-runs 1, the run of b's first slot waits for the place
// a's run holds; b's next slot is skipped behind it, and its message says
// that run was waiting, not running, and names the flag that sets the
// bound.
func TestAllowSkipBehindAWaitingRun(t *testing.T) {
	rh := newRunHarnessMax(t, t10.Add(-time.Second), nil, 1, func(c *Config) {
		c.MaxConcurrentRuns, c.LimitFrom = 1, "--max-concurrent-runs"
	})
	a := rh.playbook("a", "@every 1h", "steps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")
	b := rh.playbook("b", `1-59 * * * *", overlap: "allow`, "steps:\n  - {id: n, op: control.noop}\n")
	rh.load(a, b)
	rh.run(time.Second) // 10:00: a runs
	waitFor(t, "a to run", func() bool { return rh.s.Health().Running == 1 })
	rh.run(time.Minute) // 10:01: b waits for the place
	if waiting, _ := rh.waitingRun(); waiting != "b" {
		t.Fatalf("waiting: %q, want b", waiting)
	}
	rh.run(time.Minute) // 10:02: skipped behind b's waiting run
	slots, err := rh.store.Slots(context.Background(), "b", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var msg string
	for _, s := range slots {
		if s.Outcome == history.SlotSkipped {
			msg = s.Message
		}
	}
	if !strings.Contains(msg, "was still waiting for a place to run") || !strings.Contains(msg, "at most 1 of its runs at once, --max-concurrent-runs") {
		t.Errorf("skipped slot's message: %q; want it to say the run waits for a place, under --max-concurrent-runs", msg)
	}
	for _, h := range rh.mgr.Active() {
		h.Cancel(nil)
	}
	rh.settle()
}
