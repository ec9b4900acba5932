package scheduler

// Runs that wait for a place among the concurrent runs (--max-concurrent-
// runs): a run counts as waiting until it really starts, and the ones still
// waiting when the scheduler stops are taken back.

import (
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// startedOf is the Started channel of h: closed at once for a Handle
// that is not a Waiter, or whose Started panics.
func startedOf(h Handle) (c <-chan struct{}) {
	w, ok := h.(Waiter)
	if !ok {
		return closedCh
	}
	defer func() {
		if recover() != nil {
			c = closedCh
		}
	}()
	if c = w.Started(); c == nil {
		return closedCh
	}
	return c
}

// ranOutOf is the channel closed once h's run itself has ended, before
// whoever follows its events is done with it (done, h's Done): the same
// as done but for RunLauncher's runs that are watched.
func ranOutOf(h Handle, done <-chan struct{}) <-chan struct{} {
	if r, ok := h.(runHandle); ok {
		return r.ranOut()
	}
	return done
}

var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// withdraw, as the scheduler stops, takes back the run rs that waits for
// a place, and records its slot missed; a run the launcher cannot take
// back (it waits for its concurrency group) is cancelled instead, and
// recorded cancelled by the run service. s.mu is held.
func (s *Scheduler) withdraw(rs *runState, now time.Time) {
	if rs.withdrawn {
		return
	}
	e := rs.owner
	w, _ := rs.handle.(Waiter)
	ok := false
	if w != nil {
		func() {
			defer func() { recover() }()
			ok = w.Withdraw()
		}()
	}
	if !ok {
		if !isClosed(startedOf(rs.handle)) {
			safeCancel(rs.handle, ErrStoppedBeforeStart)
		}
		return
	}
	rs.withdrawn = true
	msg := "missed: the scheduler stopped before the run could start (it was waiting for a place among the concurrent runs, --max-concurrent-runs)"
	s.metrics.missed.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
	s.settle(e, rs.slot, history.SlotMissed, "", msg, now)
	slotEvent(s.log.Warn(), e, rs.slot).Str("run_id", rs.id).Str("reason", ReasonStopped).Msg(msg)
}

// endedUnstarted takes in the end of a run that never started: withdrawn
// (its slot is recorded missed), or cancelled while it waited (recorded
// by the launcher). s.mu is held.
func (s *Scheduler) endedUnstarted(rs *runState, h Handle) {
	now := s.cfg.Clock.Now()
	e := rs.owner
	removeRun(e, rs)
	if !rs.withdrawn {
		status := safeStatus(h)
		s.ended(e, string(status))
		e.last = &RunInfo{ID: rs.id, Slot: rs.slot, Status: status, FinishedAt: &now}
		s.log.WithLevel(engine.RunEndLevel(status)).Str("playbook", e.pb.Name).Str("run_id", rs.id).Str("slot", rs.slot.Format(time.RFC3339)).Str("status", string(status)).Msg("run ended before it started")
	}
	s.afterEnd(e, now)
	s.signalIfStopping()
}

// waitNoticeEvery bounds how often a run waiting for a place is logged
// at info: under a burst of a thousand slots with ten places, every
// second would log hundreds of lines, each a walk of all the runs.
const waitNoticeEvery = time.Minute

// logWaiting logs that rs waits for a place: a slot late for want of a
// place is what the log must show, with the runs going, which hold the
// places, and those already waiting before it. The first such run, and
// then one a minute (waitNoticeEvery), is logged at info, the others at
// debug; each run's "run started" line says how long it waited
// (waited_ms). s.mu is held and rs.waiting is set.
func (s *Scheduler) logWaiting(e *entry, rs *runState, slot string, now time.Time) {
	ev := s.log.Debug()
	if s.waitLogged.IsZero() || now.Sub(s.waitLogged) >= waitNoticeEvery || now.Before(s.waitLogged) {
		s.waitLogged = now
		ev = s.log.Info().Str("next_notice_after", short.Duration(waitNoticeEvery))
	}
	if !ev.Enabled() {
		return
	}
	running, before := 0, 0
	s.eachRun(func(o *runState) {
		switch {
		case !o.start.IsZero():
			running++ // started; runs still being launched hold no place
		case o.waiting && o != rs:
			before++
		}
	})
	ev.Str("playbook", e.pb.Name).Str("run_id", rs.id).Str("slot", slot).
		Int("running", running).Int("waiting_before", before).
		Msg("run waiting for a place among the concurrent runs")
}
