package scheduler

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// JitterProblem says why sc's jitter cannot work with its cron spec, or ""
// (see steps.JitterProblem, which validation reports at the jitter key):
// Load refuses such a playbook too, however it was built.
func JitterProblem(sc *steps.Schedule, now time.Time) string {
	return steps.JitterProblem(sc, now)
}

// rejitter draws e's fire time again for a jitter a reload changed, so
// that its next slot fires under the new one. A slot already due, waiting
// out its old jitter, fires no later than it would have, and at once when
// the new draw has passed. A slot decided ahead keeps its time.
func (s *Scheduler) rejitter(e *entry, j time.Duration, now time.Time) {
	if e.next.IsZero() || e.ahead != nil {
		return
	}
	at := e.next
	if j > 0 {
		at = at.Add(s.cfg.Jitter(j))
	}
	if !now.Before(e.next) {
		if e.fireAt.Before(at) {
			at = e.fireAt
		}
		if at.Before(now) {
			at = now
		}
	}
	e.fireAt = at
}
