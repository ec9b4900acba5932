package scheduler

import (
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// intervalSamples is how many fire times MinInterval looks at for a cron
// spec: enough to meet the short gap of specs like "0,50 * * * *" or
// "0 9,17 * * 1-5", cheap enough for every load.
const intervalSamples = 64

// MinInterval returns the shortest time between two consecutive fire
// times of t among the next intervalSamples after from: the interval
// itself for @every. It returns 0 when there are fewer than two.
func (t *Timetable) MinInterval(from time.Time) time.Duration {
	if t.every > 0 {
		return time.Duration(t.every) * time.Second
	}
	var gap time.Duration
	prev := t.Next(from)
	for i := 0; i < intervalSamples && !prev.IsZero(); i++ {
		next := t.Next(prev)
		if next.IsZero() {
			break
		}
		if d := next.Sub(prev); gap == 0 || d < gap {
			gap = d
		}
		prev = next
	}
	return gap
}

// JitterProblem says why sc's jitter cannot work with its cron spec, or
// "": a jitter at or above the time between two fire times pushes a slot's
// run past the next slot, so that slot is missed and the next one fires
// without its jitter. For a cron spec the gap is the shortest among its
// next fire times after now. The message names schedule.jitter and what to
// do; the caller adds the position.
func JitterProblem(sc *steps.Schedule, now time.Time) string {
	if sc == nil || sc.Jitter <= 0 {
		return ""
	}
	tt, err := ForSchedule(sc)
	if err != nil {
		return "" // the cron spec's own problem is reported
	}
	gap := tt.MinInterval(now)
	if gap == 0 || sc.Jitter < gap {
		return ""
	}
	return fmt.Sprintf("schedule.jitter %s is not shorter than the %s between fire times of cron %q: a run would start after the next slot, which is then missed; make jitter shorter than %s, or remove it",
		sc.Jitter, gap, sc.Cron, gap)
}
