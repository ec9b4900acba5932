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
// which its row's counts tell.
func (v *liveView) retryWait(ev engine.Event) {
	s := v.running[ev.Step]
	if s == nil || ev.Index != nil {
		return
	}
	s.retryTry, s.retryOf = ev.Attempt+1, ev.Attempts
	s.retryUntil = ev.Time.Add(time.Duration(ev.DelayMS) * time.Millisecond)
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
