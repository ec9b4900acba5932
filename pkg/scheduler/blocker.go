package scheduler

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// nameTries is how many times the run that blocked a skipped slot is
// named in the slot's records before the failure is only logged. The
// waits between tries start at storeRetry and double: 35s in all, about
// the PostgreSQL store's own retry window.
const nameTries = 4

// slotFields adds the playbook, the slot and the run that blocked it to
// ev.
func slotFields(ev *zerolog.Event, rec history.Slot) *zerolog.Event {
	return ev.Str("playbook", rec.Playbook).Str("slot", rec.Slot.Format(time.RFC3339)).Str("blocked_by", rec.BlockedBy)
}

// skippedSlot is the record of a slot skipped behind a run still
// starting, and its reason, one of the Reason words.
type skippedSlot struct {
	rec    history.Slot
	reason string
}

// logSkipped logs the slots of recs, skipped behind a run that was still
// starting, once that run has id (empty: it could not be started).
func (s *Scheduler) logSkipped(recs []skippedSlot, id string) {
	for _, sk := range recs {
		rec := sk.rec
		rec.BlockedBy = id
		slotFields(s.log.Info(), rec).Str("reason", sk.reason).Msg(rec.Message)
	}
}

// nameBlocker names run id, whose Launch has returned, in the records of
// recs, the slots skipped behind it while it was starting. Their records
// and run rows were written when they were claimed, naming no run, so a
// failure here loses the name only, never the row.
//
// s.mu is held. The writes go on in a goroutine of s.writes, so that
// neither the lock nor the loop waits on the store: each is tried
// nameTries times, waiting on the clock between tries, and no longer
// waiting once the scheduler stops, whose shutdown waits for them.
func (s *Scheduler) nameBlocker(recs []skippedSlot, id string) {
	if len(recs) == 0 || id == "" {
		return
	}
	s.naming++
	s.writes.Add(1)
	go func() {
		defer s.writes.Done()
		for _, sk := range recs {
			rec := sk.rec
			rec.BlockedBy = id
			s.nameIn(rec)
		}
		s.mu.Lock()
		s.naming--
		s.mu.Unlock()
	}()
}

// stoppingTry bounds the one try left to name a blocking run once the
// scheduler stops: its shutdown waits for that try, and must not wait on a
// store that is away.
const stoppingTry = 2 * time.Second

// nameIn writes rec, a BlockerStarting slot with its BlockedBy, trying
// again after a failure: the store fills in only a name still empty, so
// a try that wrote before it failed does no harm. Once the scheduler
// stops, a try under way is cut short and one last short try is made.
func (s *Scheduler) nameIn(rec history.Slot) {
	wait := storeRetry
	for try := 1; ; try++ {
		last := try == nameTries
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		unwatch := func() bool { return false }
		select {
		case <-s.stop:
			cancel()
			ctx, cancel = context.WithTimeout(context.Background(), stoppingTry)
			last = true
		default:
			unwatch = context.AfterFunc(s.stopped, cancel) // a stop cuts this try short
		}
		err := s.cfg.Store.SettleSlot(ctx, rec)
		unwatch()
		cancel()
		if err == nil {
			return
		}
		if last {
			slotFields(s.log.Error(), rec).Err(err).Int("tries", try).Msg("could not name the run a skipped slot waited for; its history row names none")
			return
		}
		slotFields(s.log.Warn(), rec).Err(err).Str("retry_in", short.Duration(wait)).Msg("could not name the run a skipped slot waited for; trying again")
		s.mu.Lock()
		s.naming--
		t := s.cfg.Clock.NewTimer(wait)
		s.mu.Unlock()
		select {
		case <-t.C():
		case <-s.stop:
			t.Stop()
		}
		s.mu.Lock()
		s.naming++
		s.mu.Unlock()
		wait *= 2
	}
}
