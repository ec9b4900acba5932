package scheduler

import (
	"testing"
	"time"
)

// TestLogFieldsReadAsWritten: the scheduler's log gives durations as
// people write them (by: 10m, late: 1m7s, not 10m0s or 1m6.5s) and
// delays in whole milliseconds (delay_ms: 66500, not 66500.25), as
// every other *_ms field has them.
func TestLogFieldsReadAsWritten(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second), func(c *Config) { c.Lead = -1 })
	h.load(playbook("late", "@every 5m", catchup("last", 0)))
	// 10:01:06.50025: the 10:00 slot is caught up 66.50025s late.
	h.clock.Jump(67*time.Second + 500*time.Millisecond + 250*time.Microsecond)
	h.run(time.Millisecond)
	caught := h.logs.lines("catching up the latest missed slot (catchup: last)")
	if len(caught) != 1 || caught[0]["late"] != "1m7s" {
		t.Errorf("catch-up lines %v, want one with late 1m7s", caught)
	}
	started := h.logs.lines("run started")
	if len(started) != 1 || started[0]["delay_ms"] != float64(66500) {
		t.Errorf("run started lines %v, want one with delay_ms 66500", started)
	}
	h.clock.Jump(-10 * time.Minute)
	h.run(time.Second)
	back := h.logs.lines("the wall clock went back; slots already decided will not fire again")
	if len(back) != 1 || back[0]["by"] != "10m" {
		t.Errorf("clock-back lines %v, want one with by 10m", back)
	}
}
