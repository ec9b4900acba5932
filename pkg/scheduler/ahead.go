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
// time, and its run starts at the fire time itself. A crash in between
// leaves the slot claimed with no run, as a crash between a claim and its
// launch always could; a clean stop, or a reload that changes or removes
// the schedule, in between records it missed.

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

// startAhead starts the runs claimed ahead whose fire time has come.
func (s *Scheduler) startAhead(now time.Time) {
	keep := s.ahead[:0]
	for _, rs := range s.ahead {
		if now.Before(rs.startAt) {
			keep = append(keep, rs)
			continue
		}
		rs.owner.ahead = nil
		s.start(rs)
	}
	clear(s.ahead[len(keep):])
	s.ahead = keep
}

// adjustLead keeps the lead at least twice what deciding a batch ahead
// took, so that a slow store, or a loaded machine, still has the runs
// start on time.
func (s *Scheduler) adjustLead(took time.Duration) {
	s.lead = min(max(s.cfg.Lead, 2*took), MaxLead)
}

// dropAhead records the slot of e claimed ahead as missed, with why, and
// forgets its run: the scheduler stops, or a reload changed or removed
// the schedule, before the slot's fire time.
func (s *Scheduler) dropAhead(e *entry, why string, now time.Time) {
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
	slotEvent(s.log.Warn(), e, rs.slot).Msg(msg)
}
