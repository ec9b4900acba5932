package scheduler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReloadOfJitterTakesTheNextSlot: a reload that changes only a
// playbook's jitter keeps its place, but its next slot fires under the new
// jitter, as docs/scheduling.md says of an edit made before the slot is
// decided: a jitter removed no longer holds the run back, one added
// delays it, and one cut while the slot waits out its old jitter starts
// the run at once rather than missing it.
func TestReloadOfJitterTakesTheNextSlot(t *testing.T) {
	const drawn = 29 * time.Minute
	for _, tc := range []struct {
		name     string
		from, to time.Duration
		reloadAt time.Duration // after 10:00
		want     string        // the first run's start
	}{
		{"removed", 30 * time.Minute, 0, 30 * time.Minute, "11:00 at 11:00:00"},
		{"added", 0, 30 * time.Minute, 30 * time.Minute, "11:00 at 11:29:00"},
		{"cut while the slot waits", 30 * time.Minute, 0, 70 * time.Minute, "11:00 at 11:10:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, t10, func(c *Config) {
				c.Jitter = func(max time.Duration) time.Duration { return min(drawn, max-time.Second) }
			})
			h.load(playbook("p", "@every 1h", jitter(tc.from)))
			h.run(tc.reloadAt)
			if n := len(h.launcher.started()); n != 0 {
				t.Fatalf("%d runs started before the reload", n)
			}
			h.load(playbook("p", "@every 1h", jitter(tc.to)))
			h.runUntil(t10.Add(time.Hour + drawn + time.Second))
			var got []string
			for _, r := range h.launcher.started() {
				got = append(got, r.job.Slot.Format("15:04")+" at "+r.launchedAt.Format("15:04:05"))
			}
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Errorf("starts (-want +got):\n%s", diff)
			}
			if missed := metricValue(t, h.s, "arsenal_schedule_slots_missed_total", "p"); missed != 0 {
				t.Errorf("%v slots missed", missed)
			}
		})
	}
}
