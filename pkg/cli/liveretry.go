package cli

import (
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// retryWait notes on a running step's row that it waits between two
// tries of its retry: without it the row shows the step's time alone,
// as if the step were busy. A fan-out's items retry each on their own,
// which its row's counts tell. The wait ends by the clock of the events,
// which redraw counts by (eventsNow), not by this machine's.
func (v *liveView) retryWait(ev engine.Event) {
	s := v.running[ev.Step]
	if s == nil || ev.Index != nil {
		return
	}
	s.retryTry, s.retryOf = ev.Attempt+1, ev.Attempts
	s.retryUntil = ev.Time.Add(time.Duration(ev.DelayMS) * time.Millisecond)
}

// heard notes when an event told of at t came: the least gap between
// the two, over the events heard so far, is how far the clock of who
// sent them (a server's, under remote run --follow) is behind this
// machine's, give or take the time an event takes to come. Without it,
// a client whose clock is a minute fast would show a step's time a
// minute long and a retry's wait over before it is. The least gap is
// that of an event heard as it happened, not one told again to a
// follower that joined late.
func (v *liveView) heard(t time.Time) {
	if t.IsZero() {
		return
	}
	d := time.Since(t)
	if v.behind == nil || d < *v.behind {
		v.behind = &d
	}
}

// eventsNow is the time now by the clock of the events (see heard).
func (v *liveView) eventsNow() time.Time {
	now := time.Now()
	if v.behind == nil {
		return now
	}
	return now.Add(-*v.behind)
}

// retryNote is what a running step's row says while it waits to try
// again: "  waits 4.2s before try 2 of 3", the time left; nothing once
// the wait is over.
func retryNote(s *liveStep, now time.Time) string {
	if s.retryTry == 0 || !now.Before(s.retryUntil) {
		return ""
	}
	left := report.FormatMS(s.retryUntil.Sub(now).Milliseconds())
	if s.retryOf > 0 {
		return fmt.Sprintf("  waits %s before try %d of %d", left, s.retryTry, s.retryOf)
	}
	return fmt.Sprintf("  waits %s before try %d", left, s.retryTry)
}

// answered restarts a running step's clock when its confirm: question is
// answered yes: the step runs from the answer on, and its finished line
// says the time it ran (the report's duration), which leaves out the time
// its question waited. Counted from the question, its row said 6.2s for a
// step that then finished in 2.0s.
func (v *liveView) answered(ev engine.Event) {
	if s := v.running[ev.Step]; s != nil && ev.Answer == "yes" && !ev.Time.IsZero() {
		s.start = ev.Time
	}
}
