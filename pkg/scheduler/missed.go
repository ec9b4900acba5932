package scheduler

// Why a slot did not fire: the messages recorded with missed slots.

import (
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// missedWhy is why a slot of e found at now with a newer one after it,
// so missed, did not fire in its time: its reason and its message.
func (s *Scheduler) missedWhy(e *entry, slot, now time.Time) (reason, msg string) {
	at := slot.In(e.tt.Location()).Format(time.RFC3339)
	switch {
	case slot.Before(s.since):
		if u, ok := s.cfg.Store.(unreachable); ok && u.Unreachable(slot) {
			return ReasonUnreachable, "missed: the database could not be reached at " + at + ", so no scheduler could fire the slot; it was older than the takeover window when one could again, so it does not run now"
		}
		return ReasonSchedulerDown, "missed: the scheduler was not running at " + at
	case e.failing != "":
		return ReasonHistoryFailing, "missed: the history could not record slots at " + at + " (" + e.failing + "); nothing fires until it can"
	case slot.Equal(e.next) && e.fireAt.After(e.tt.Next(slot)):
		return ReasonJitter, fmt.Sprintf("missed: its jitter of %s put its fire time, %s, past the next slot, %s; make schedule.jitter shorter than the time between slots",
			steps.ShortDuration(e.fireAt.Sub(slot).Round(time.Second)), e.fireAt.In(e.tt.Location()).Format(time.RFC3339), e.tt.Next(slot).Format(time.RFC3339))
	}
	if stalled, ok := s.behind(); ok {
		return ReasonBehind, fmt.Sprintf("missed: the scheduler was behind by %s when it got to the slot of %s: it decided nothing for %s while the machine was awake and the clock steady (the store was slow to record the slots before, the machine was overloaded, or the process was stopped)",
			steps.ShortDuration(now.Sub(slot).Round(time.Second)), at, steps.ShortDuration(stalled.Round(time.Second)))
	}
	return ReasonNotReached, "missed: the scheduler was running but did not get to the slot of " + at + " in time (the machine was suspended, the process was stopped, or the clock jumped)"
}

// behind tells whether the time since the tick before this one passed
// with the process able to run: the elapsed time (the monotonic clock)
// kept up with the wall clock, so the machine was not suspended and the
// clock did not jump; the loop itself was slow. It returns that time.
// s.mu is held.
func (s *Scheduler) behind() (time.Duration, bool) {
	if _, ok := s.cfg.Clock.(elapsedClock); !ok || s.prevNow.IsZero() {
		return 0, false
	}
	wall := s.lastNow.Round(0).Sub(s.prevNow.Round(0))
	ran := s.lastElapsed - s.prevElapsed
	return ran, wall-ran < time.Second && ran-wall < time.Second
}

// unreachable is a Store that tells when it could not reach its database
// (postgres.Store does): a slot before this scheduler's start that fell in
// such a time was not fired because no replica could reach the database,
// not because no scheduler ran.
type unreachable interface{ Unreachable(time.Time) bool }

// lateMessage is the reason and the message of a slot found late that
// does not start.
func lateMessage(sc *steps.Schedule, slot, now time.Time, late time.Duration) (reason, msg string) {
	why := fmt.Sprintf("missed: found %s late", steps.ShortDuration(late.Round(time.Second)))
	if pastDeadline(sc, slot, now) {
		return ReasonStartingDeadline, why + ", after its starting_deadline of " + steps.ShortDuration(sc.StartingDeadline)
	}
	return ReasonCatchupNone, why + " and catchup is none"
}

// gap is a run of slots of one playbook found due at once, all but the
// newest missed (or skipped, for a pause): the scheduler was down, the
// machine suspended, the clock jumped.
type gap struct {
	latest time.Time // the newest slot of the gap
	more   bool      // older slots than those decided were left out
}

// logGaps logs, for each gap in batch, how many of its older slots were
// missed, and why the oldest of them was. A gap whose slots were all
// skipped for a pause was not missed, and is not logged.
func (s *Scheduler) logGaps(batch []decision) {
	for i, d := range batch {
		g := d.gap
		if g == nil {
			continue
		}
		n, why, reason := 0, "", ""
		// An entry's decisions are next to one another in the batch.
		for _, o := range batch[i:] {
			if o.e != d.e {
				break
			}
			if o.rec.Outcome == history.SlotMissed && o.rec.Slot.Before(g.latest) {
				if n == 0 {
					why, reason = o.rec.Message, o.reason
				}
				n++
			}
		}
		if n == 0 && !g.more {
			continue
		}
		ev := s.log.Warn().Str("playbook", d.e.pb.Name).Int("missed", n).Str("catchup", d.e.pb.Schedule.Catchup)
		if g.more {
			ev = ev.Bool("more_not_recorded", true)
		}
		if why != "" {
			// reason is a word to count by, as on each slot's line;
			// why is the oldest slot's message, which names its time.
			ev = ev.Str("reason", reason).Str("why", why)
		}
		ev.Msg("slots were missed")
	}
}
