package scheduler

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// Deciding ahead. Recording the slots of an instant takes the store
// milliseconds (a thousand playbooks firing each second: a thousand rows in
// one transaction), and no run of the instant may start before they are
// recorded, or a crash could fire a slot twice. So the slot of a playbook
// with nothing going is decided, and claimed, up to the lead before its fire
// time, and its run starts at the fire time itself, or not at all when the
// wall clock then says it is too late (a suspended machine, a clock step),
// by the rule that decides any late slot. A stop in between waits for the
// fire time and starts the run, which gets the grace period like the
// others; a reload that changes or removes the schedule in between records
// the slot missed. A crash leaves the slot claimed with no run, as a crash
// between a claim and its launch always could.

// decidesAhead tells whether e's next slot is decided now, ahead of its
// fire time: e is idle, and the fire time is to come within the lead.
func (s *Scheduler) decidesAhead(e *entry, now time.Time) bool {
	return s.lead > 0 && e.idle() && !e.next.IsZero() && !now.Before(e.retryAt) &&
		now.Before(e.fireAt) && !now.Add(s.lead).Before(e.fireAt)
}

// dueAhead appends to batch the decisions for e's slots as they stand at
// e's fire time, recorded as decided now; its run starts at the fire
// time.
func (s *Scheduler) dueAhead(batch []decision, e *entry, now time.Time) []decision {
	for _, d := range s.due(e, e.fireAt) {
		d.rec.At = now
		if rs := d.run; rs != nil {
			rs.startAt = now.Add(rs.fireAt.Sub(now))
		}
		batch = append(batch, d)
	}
	return batch
}

// startAhead starts the runs claimed ahead whose fire time has come, but
// those the wall clock now finds too late, which are recorded missed.
func (s *Scheduler) startAhead(now time.Time) {
	keep := s.ahead[:0]
	for _, rs := range s.ahead {
		if now.Before(rs.startAt) {
			keep = append(keep, rs)
			continue
		}
		e := rs.owner
		e.ahead = nil
		if reason, msg := s.tooLate(e, rs, now); msg != "" {
			s.metrics.missed.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
			s.settle(e, rs.slot, history.SlotMissed, "", msg, now)
			slotEvent(s.log.Warn(), e, rs.slot).Str("reason", reason).Msg(msg)
			continue
		}
		s.start(rs)
	}
	clear(s.ahead[len(keep):])
	s.ahead = keep
}

// tooLate returns why the run rs, claimed ahead, must not start at now,
// its reason and message, or "": the rule of due for the newest slot found late, read on the wall
// clock, which may have jumped or stood still (a suspend) since the claim.
func (s *Scheduler) tooLate(e *entry, rs *runState, now time.Time) (reason, msg string) {
	now = now.Round(0) // the wall clock
	sc := e.pb.Schedule
	late := now.Sub(rs.fireAt)
	next := e.tt.Next(rs.slot)
	newest := next.IsZero() || next.After(now)
	switch {
	case late <= s.tolerance(sc):
		return "", ""
	case newest && !pastDeadline(sc, rs.slot, now) && (s.inTakeover(rs.slot, now) || sc.Catchup == "last"):
		return "", ""
	}
	return lateMessage(sc, rs.slot, now, late)
}

// finishAhead, as the scheduler stops, waits for the fire times of the
// runs claimed ahead (at most MaxLead) and starts them: their slots are
// claimed, and another process would not fire them.
func (s *Scheduler) finishAhead() {
	s.mu.Lock()
	var last time.Time
	for _, rs := range s.ahead {
		last = later(rs.startAt, last)
	}
	wait := last.Sub(s.cfg.Clock.Now())
	s.mu.Unlock()
	if last.IsZero() {
		return
	}
	if wait > 0 {
		t := s.cfg.Clock.NewTimer(min(wait, MaxLead))
		<-t.C()
	}
	s.mu.Lock()
	defer s.unlock()
	s.startAhead(later(s.cfg.Clock.Now(), last))
}

// adjustLead keeps the lead at least twice what deciding a batch ahead
// took, so that a slow store, or a loaded machine, still has the runs
// start on time.
func (s *Scheduler) adjustLead(took time.Duration) {
	s.lead = min(max(s.cfg.Lead, 2*took), MaxLead)
}

// dropAhead records the slot of e claimed ahead as missed, with reason
// and why, and forgets its run: a reload changed or removed the schedule
// before the slot's fire time.
func (s *Scheduler) dropAhead(e *entry, reason, why string, now time.Time) {
	rs := e.ahead
	if rs == nil {
		return
	}
	e.ahead = nil
	for i, x := range s.ahead {
		if x == rs {
			s.ahead = append(s.ahead[:i], s.ahead[i+1:]...)
			break
		}
	}
	s.metrics.missed.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
	msg := "missed: " + why + " before its fire time " + rs.fireAt.In(e.tt.Location()).Format(time.RFC3339Nano)
	s.settle(e, rs.slot, history.SlotMissed, "", msg, now)
	slotEvent(s.log.Warn(), e, rs.slot).Str("reason", reason).Msg(msg)
}
