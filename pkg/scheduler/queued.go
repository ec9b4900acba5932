package scheduler

// A queued slot starts once the runs before it have ended, unless its
// schedule was paused meanwhile. The pauses are read with s.mu released,
// as every store call is: the slot is marked resuming meanwhile, and the
// loop leaves its playbook alone until it is decided.

import (
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// resuming tells whether e's queued slot is being started: the loop
// decides none of e's slots meanwhile.
func (e *entry) resuming() bool { return e.pending != nil && e.pending.resuming }

// afterEnd marks e's queued slot to start once none of its runs is left,
// unless the scheduler is stopping: whoever releases s.mu reads the
// pauses and starts it (unlock, resumeQueued). s.mu is held.
func (s *Scheduler) afterEnd(e *entry, now time.Time) {
	if e.removed && len(e.running) == 0 {
		delete(s.retired, e)
	}
	if len(e.running) > 0 || e.pending == nil || e.pending.resuming || s.stopping || e.removed {
		return
	}
	e.pending.resuming = true
	s.resume = append(s.resume, e)
	s.settling.Add(1)
}

// resumeQueued starts the queued slots of resume, marked by afterEnd,
// with paused and err, the pauses read meanwhile. A slot a reload or a
// stop settled meanwhile (removed, or recorded missed) is left to it; one
// whose schedule a reload changed starts for its new entry. s.mu is held.
func (s *Scheduler) resumeQueued(resume []*entry, paused map[string]history.Pause, err error) {
	now := s.cfg.Clock.Now()
	for _, old := range resume {
		s.settling.Add(-1)
		p := old.pending
		e := s.entries[old.pb.Name]
		if e == nil || e.pending == nil || !e.pending.resuming {
			// Settled by a reload that removed it, or the stop.
			if p != nil {
				p.resuming = false
			}
			continue
		}
		p = e.pending
		p.resuming = false
		s.signal() // the loop left e alone meanwhile
		if len(e.running) > 0 || s.stopping || e.removed {
			continue
		}
		e.pending = nil
		s.startQueued(e, p, paused, err, now)
	}
}

// startQueued starts p, e's queued slot, unless the pauses (paused, or
// err when they could not be read) or its starting_deadline say it must
// not start. s.mu is held.
func (s *Scheduler) startQueued(e *entry, p *pending, paused map[string]history.Pause, err error, now time.Time) {
	// A slot queued before its schedule was paused does not start once
	// the pause is in place; when the pauses cannot be read, it does not
	// start either.
	if err != nil {
		// One line, as every skipped slot has: its message is the one
		// recorded, which holds the error.
		s.metrics.skipped.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
		msg := pauseUnknownPrefix + ": " + err.Error()
		s.settle(e, p.slot, history.SlotSkipped, p.blockedBy, msg, now)
		slotEvent(s.log.Error(), e, p.slot).Str("blocked_by", p.blockedBy).Str("reason", ReasonPauseUnknown).Msg(msg)
		return
	}
	if pause, ok := paused[e.pb.Name]; ok && e.pausedBy(pause) {
		s.metrics.skipped.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
		msg := pausedMessage(pause)
		s.settle(e, p.slot, history.SlotSkipped, p.blockedBy, msg, now)
		slotEvent(s.log.Info(), e, p.slot).Str("blocked_by", p.blockedBy).Str("reason", ReasonPaused).Msg(msg)
		return
	}
	if sc := e.pb.Schedule; pastDeadline(sc, p.slot, now) {
		s.metrics.missed.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
		msg := fmt.Sprintf("missed: waited %s behind run %s, past its starting_deadline of %s", steps.ShortDuration(now.Sub(p.slot).Round(time.Second)), p.blockedBy, steps.ShortDuration(sc.StartingDeadline))
		s.settle(e, p.slot, history.SlotMissed, p.blockedBy, msg, now)
		slotEvent(s.log.Warn(), e, p.slot).Str("blocked_by", p.blockedBy).Str("reason", ReasonStartingDeadline).Msg(msg)
		return
	}
	// Recorded fired by its supervise, before its Launch: the record
	// precedes the run, and the lock is not held over the write.
	fired := s.slotRecord(e, p.slot, history.SlotFired, p.blockedBy, "", now)
	s.start(&runState{owner: e, slot: p.slot, fireAt: now, planned: p.planned, fired: &fired})
}
