package scheduler

// Settling: the later outcome of a claimed slot (fired from the queue,
// skipped, missed, failed) is decided with s.mu held and written to the
// store with it released, so that a slow store holds neither /healthz, a
// reload nor the starts and ends of other runs. Each slot is settled from
// one place only, and its claim, under the store's uniqueness constraint,
// already decided that it is this scheduler's: the order of the writes of
// different slots does not matter.

import (
	"context"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// settle records a later outcome of a claimed slot: the record is written
// once s.mu is released (unlock); a failure is logged, the slot stays
// claimed. s.mu is held.
func (s *Scheduler) settle(e *entry, slot time.Time, outcome history.SlotOutcome, blockedBy, msg string, now time.Time) {
	s.settles = append(s.settles, s.slotRecord(e, slot, outcome, blockedBy, msg, now))
	s.settling.Add(1)
}

// slotRecord is the record of a later outcome of e's slot.
func (s *Scheduler) slotRecord(e *entry, slot time.Time, outcome history.SlotOutcome, blockedBy, msg string, now time.Time) history.Slot {
	return history.Slot{
		Playbook: e.pb.Name, Path: e.pb.AbsPath(), SHA256: e.pb.SHA256, Slot: slot,
		Outcome: outcome, BlockedBy: blockedBy, Message: msg, At: now,
	}
}

// takeSettles takes the records settled so far, for the caller to write
// once it has released s.mu. s.mu is held.
func (s *Scheduler) takeSettles() []history.Slot {
	recs := s.settles
	s.settles = nil
	if len(recs) > 0 {
		// Shutdown waits for them, as for the other writes.
		s.writes.Add(1)
	}
	return recs
}

// unlock releases s.mu, then writes the outcomes settled while it was
// held, and starts the queued slots whose runs before them ended
// (afterEnd) once it has read the pauses. Every release of s.mu that may
// follow a settle or afterEnd is through it (or, for a settle, unlocked).
func (s *Scheduler) unlock() {
	for {
		recs, resume := s.takeSettles(), s.resume
		s.resume = nil
		s.mu.Unlock()
		s.writeSettles(recs)
		if len(resume) == 0 {
			return
		}
		paused, err := s.pauses()
		s.mu.Lock()
		s.resumeQueued(resume, paused, err)
	}
}

// writeSettles writes recs, taken by takeSettles, with s.mu released.
func (s *Scheduler) writeSettles(recs []history.Slot) {
	if len(recs) == 0 {
		return
	}
	defer s.writes.Done()
	for _, rec := range recs {
		s.writeSettle(rec)
		s.settling.Add(-1)
	}
}

// writeSettle writes one slot's record, s.mu released; a failure is
// logged.
func (s *Scheduler) writeSettle(rec history.Slot) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := s.cfg.Store.SettleSlot(ctx, rec); err != nil {
		s.log.Error().Err(err).Str("playbook", rec.Playbook).Str("slot", rec.Slot.Format(time.RFC3339)).Str("outcome", string(rec.Outcome)).Msg("could not record the outcome of a slot")
	}
}
