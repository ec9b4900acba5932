package scheduler

import (
	"context"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// commit records a batch of decisions and acts on those the store
// accepted. When the store fails, nothing is acted on and the playbooks
// are retried shortly: a slot that then comes too late is missed. s.mu is
// held, and released while the store records the batch (claim).
func (s *Scheduler) commit(batch []decision, now time.Time) {
	recs := make([]history.Slot, len(batch))
	for i, d := range batch {
		recs[i] = d.rec
	}
	claimed, err := s.claim(recs)
	if err != nil {
		s.storeFailed(now, err, "the history cannot record slots; nothing fires until it can", func(ev *zerolog.Event) *zerolog.Event {
			return ev.Int("slots", len(batch))
		})
		for _, d := range batch {
			d.e.retryAt = now.Add(storeRetry)
			d.e.failing = err.Error()
		}
		return
	}
	s.storeRecovered(now)
	// Logged once recorded: a batch the store refused is decided again
	// at each retry, and its gap would be logged each time, growing.
	s.logGaps(batch)
	var gapOf *entry // the entry whose gap, summed up by logGaps, is g
	var g *gap
	for i, d := range batch {
		e, slot := d.e, d.rec.Slot
		if d.gap != nil {
			gapOf, g = e, d.gap
		}
		e.cursor = later(e.cursor, slot)
		e.retryAt, e.failing = time.Time{}, ""
		if !claimed[i] {
			s.log.Debug().Str("playbook", e.pb.Name).Str("slot", slot.Format(time.RFC3339)).Msg("slot decided before (another process, or before a restart)")
			continue
		}
		switch d.rec.Outcome {
		case history.SlotMissed:
			s.metrics.missed.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
			ev := s.log.Warn()
			if gapOf == e && slot.Before(g.latest) {
				// One of a gap's slots, which logGaps counted in one
				// line: after a long outage, a line each would be a
				// hundred a playbook.
				ev = s.log.Debug()
			}
			slotEvent(ev, e, slot).Str("reason", d.reason).Msg(d.rec.Message)
		case history.SlotSkipped:
			s.metrics.skipped.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
			s.skippedBehind(d)
		case history.SlotQueued:
			blockedBy := d.rec.BlockedBy
			if blockedBy == "" && d.waitsFor != nil {
				// Its run's Launch returned while the batch was
				// recorded: the queued slot waits for that run.
				blockedBy = d.waitsFor.id
			}
			if e.pending != nil {
				// Only replace queues over a queued slot: the newer
				// slot wins.
				msg := "skipped: superseded by the slot of " + slot.Format(time.RFC3339) + " (overlap: replace)"
				s.settle(e, e.pending.slot, history.SlotSkipped, e.pending.blockedBy, msg, now)
				slotEvent(s.log.Info(), e, e.pending.slot).Str("blocked_by", e.pending.blockedBy).Str("reason", ReasonReplaced).Msg(msg)
			}
			e.pending = &pending{slot: slot, planned: d.planned, blockedBy: blockedBy}
			slotEvent(s.log.Info(), e, slot).Str("blocked_by", blockedBy).Msg(d.rec.Message)
			if d.replace {
				for _, rs := range e.running {
					rs.cancel = ErrReplaced
					if rs.handle != nil {
						safeCancel(rs.handle, ErrReplaced)
					}
				}
			}
			s.afterEnd(e, now) // nothing may be running any more
		case history.SlotFired:
			if d.catchUp > 0 {
				slotEvent(s.log.Info(), e, slot).Str("late", logDuration(d.catchUp)).Msg("catching up the latest missed slot (catchup: last)")
			}
			if d.run.startAt.IsZero() {
				s.start(d.run)
				break
			}
			e.ahead = d.run
			s.ahead = append(s.ahead, d.run)
		}
	}
	for _, d := range batch {
		if !d.e.next.After(d.e.cursor) || d.e.next.IsZero() {
			s.plan(d.e, now)
		}
	}
}

// claim records recs in the store, and reports which of them it claimed.
// s.mu is held, and released while the store writes: the write may wait
// for the run service's own writes to the history, and a run starting or
// ending must not wait for it in turn. Nothing but the loop decides or
// starts slots, and Load waits for the claim (waitClaim), so the batch's
// entries are still loaded when it is acted on; a run that starts or ends
// meanwhile is taken into account by commit.
func (s *Scheduler) claim(recs []history.Slot) (claimed []bool, err error) {
	s.unlocked(func() {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		claimed, err = s.cfg.Store.ClaimSlots(ctx, recs)
	})
	return claimed, err
}

// unlocked calls f, a store call of the loop's on a batch being decided,
// with s.mu released; claiming is set meanwhile, so that Load waits for
// the batch to be acted on (waitClaim). The outcomes settled before are
// written after f. s.mu is held.
func (s *Scheduler) unlocked(f func()) {
	s.claiming = true
	recs := s.takeSettles()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.claiming = false
		s.claimDone.Broadcast()
	}()
	f()
	s.writeSettles(recs)
}

// waitClaim waits, s.mu held, until no batch is being recorded.
func (s *Scheduler) waitClaim() {
	for s.claiming {
		s.claimDone.Wait()
	}
}

// skippedBehind logs, or leaves for its blocker to log, the skipped slot
// of d, claimed.
func (s *Scheduler) skippedBehind(d decision) {
	e, slot := d.e, d.rec.Slot
	rs := d.behind
	switch {
	case rs != nil && rs.id == "" && slices.Contains(rs.owner.running, rs):
		// Named in the record once the run's Launch returns.
		rs.skipped = append(rs.skipped, skippedSlot{d.rec, d.reason})
		return
	case rs != nil && rs.id != "":
		// Its Launch returned while the batch was recorded: the run
		// has an id to name now.
		s.logSkipped([]skippedSlot{{d.rec, d.reason}}, rs.id)
		s.nameBlocker([]skippedSlot{{d.rec, d.reason}}, rs.id)
		return
	}
	// Blocked by a run with an id, or by one that was not started here
	// after all (its Launch failed, or another process claimed its
	// slot): the record claimed is the whole record.
	slotEvent(s.log.Info(), e, slot).Str("blocked_by", d.rec.BlockedBy).Str("reason", d.reason).Msg(d.rec.Message)
}
