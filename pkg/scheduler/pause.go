package scheduler

// Pauses: the slots of a paused schedule are recorded skipped instead of
// fired.

import (
	"context"
	"slices"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// applyPauses turns the slots of paused schedules that would fire (or
// queue) into skipped ones. The pauses are read only when a batch would
// start something. When the store cannot say, nothing is decided and the
// playbooks are retried shortly, as when it cannot record slots: a paused
// schedule must not fire because its pause could not be read.
func (s *Scheduler) applyPauses(batch []decision, now time.Time) bool {
	if !slices.ContainsFunc(batch, func(d decision) bool { return starts(d.rec.Outcome) }) {
		return true
	}
	paused, err := s.pauses()
	if err != nil {
		s.storeErr = &Problem{At: now, Message: err.Error()}
		s.log.Error().Err(err).Msg("the history cannot tell which schedules are paused; nothing fires until it can")
		for _, d := range batch {
			d.e.retryAt = now.Add(storeRetry)
			d.e.failing = err.Error()
		}
		return false
	}
	for i := range batch {
		d := &batch[i]
		// A slot skipped behind a run of the batch is skipped for the
		// pause too: that run does not start.
		if p, ok := paused[d.e.pb.Name]; ok && p.Applies(d.e.pb.File) && (starts(d.rec.Outcome) || d.behind != nil) {
			d.rec.Outcome, d.rec.BlockedBy, d.replace = history.SlotSkipped, "", false
			d.rec.Message, d.rec.BlockerStarting, d.behind = pausedMessage(p), false, nil
		}
	}
	return true
}

func starts(o history.SlotOutcome) bool { return o == history.SlotFired || o == history.SlotQueued }

func (s *Scheduler) pauses() (map[string]history.Pause, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	return s.cfg.Store.Pauses(ctx)
}

// pausedMessage is the message of a slot skipped because its schedule is
// paused.
func pausedMessage(p history.Pause) string {
	return "skipped: the schedule is paused (by " + p.By + " since " + p.At.UTC().Format(time.RFC3339) + ")"
}
