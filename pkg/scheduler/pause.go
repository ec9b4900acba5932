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
// queue) into skipped ones, and so the slots found missed that came while
// the schedule was paused (the scheduler was down, say): a paused schedule
// skips each of its slots, whether or not a scheduler ran then. The pauses
// are read only when a batch would start something or has missed slots.
// When the store cannot say, nothing is decided and the playbooks are
// retried shortly, as when it cannot record slots: a paused schedule must
// not fire because its pause could not be read. A batch that would start
// nothing is recorded as it is, its missed slots missed.
// s.mu is held, and released while the pauses are read.
func (s *Scheduler) applyPauses(batch []decision, now time.Time) bool {
	fires := slices.ContainsFunc(batch, func(d decision) bool { return starts(d.rec.Outcome) })
	if !fires && !slices.ContainsFunc(batch, func(d decision) bool { return d.rec.Outcome == history.SlotMissed }) {
		return true
	}
	// Read with s.mu released, as the batch is recorded (claim): a slow
	// store holds neither /healthz, a reload nor the runs that start
	// or end meanwhile.
	var paused map[string]history.Pause
	var err error
	s.unlocked(func() { paused, err = s.pauses() })
	if err != nil && !fires {
		return true
	}
	if err != nil {
		s.storeFailed(now, err, "the history cannot tell which schedules are paused; nothing fires until it can", nil)
		for _, d := range batch {
			d.e.retryAt = now.Add(storeRetry)
			d.e.failing = err.Error()
		}
		return false
	}
	for i := range batch {
		d := &batch[i]
		p, ok := paused[d.e.pb.Name]
		if !ok || !d.e.pausedBy(p) {
			continue
		}
		switch {
		case starts(d.rec.Outcome) || d.behind != nil:
			// A slot skipped behind a run of the batch is skipped for
			// the pause too: that run does not start.
			d.rec.Outcome, d.rec.BlockedBy, d.replace = history.SlotSkipped, "", false
			d.rec.Message, d.rec.BlockerStarting, d.behind, d.reason = pausedMessage(p), false, nil, ReasonPaused
		case d.rec.Outcome == history.SlotMissed && !d.rec.Slot.Before(p.At):
			// Missed in a time it was paused: it would not have fired.
			d.rec.Outcome, d.rec.Message, d.reason = history.SlotSkipped, pausedMessage(p), ReasonPaused
		}
	}
	return true
}

// pausedBy reports whether pause p holds for e's playbook file, as
// p.Applies does. The file's pause path (absolute, symlinks resolved) is
// made once per playbook loaded: a reload that brings a new file, or the
// same file anew, makes it again. A pause recorded for another path is
// checked against the file's path as it resolves now, as the pause was
// made: a symlink on the way (a deploy's current -> release link) may
// have moved since the load, and the pause still holds for the file.
// s.mu is held.
func (e *entry) pausedBy(p history.Pause) bool {
	if p.Path == "" {
		return true
	}
	if e.pathOf != e.pb {
		e.pathOf, e.pausePath = e.pb, history.PausePath(e.pb.AbsPath())
	}
	return p.Path == e.pausePath || p.Applies(e.pb.AbsPath())
}

func starts(o history.SlotOutcome) bool { return o == history.SlotFired || o == history.SlotQueued }

func (s *Scheduler) pauses() (map[string]history.Pause, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	return s.cfg.Store.Pauses(ctx)
}

// pausedPrefix begins pausedMessage; pauseUnknownPrefix, the message
// of a queued slot skipped because the pauses could not be read.
const (
	pausedPrefix       = "skipped: the schedule is paused"
	pauseUnknownPrefix = "skipped: could not tell whether the schedule is paused"
)

// pausedMessage is the message of a slot skipped because its schedule is
// paused.
func pausedMessage(p history.Pause) string {
	return pausedPrefix + " (by " + p.By + " since " + p.At.UTC().Format(time.RFC3339) + ")"
}
