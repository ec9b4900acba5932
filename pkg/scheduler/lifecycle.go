package scheduler

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// Run fires the loaded playbooks until ctx ends, then shuts down: it stops
// firing, starts the runs of slots claimed ahead at their fire time (at
// most MaxLead later), records queued slots, and runs still waiting for
// a place, as missed, waits up to Config.Grace for
// the running runs, cancels those still going (with ErrShutdown) and waits
// for them to end, so that their finally steps run and their history is
// written, and for the runs named in the records of slots skipped behind
// them (see nameBlocker). It returns nil after a clean shutdown. Run may
// be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("scheduler: Run called twice")
	}
	s.started = true
	s.mu.Unlock()
	for {
		wait, prune := s.tick()
		if prune {
			s.startPrune()
		}
		t := s.cfg.Clock.NewTimer(wait)
		s.park(true)
		select {
		case <-ctx.Done():
			t.Stop()
			s.park(false)
			return s.shutdown()
		case <-t.C():
		case <-s.wake:
			t.Stop()
		}
		s.park(false)
	}
}

func (s *Scheduler) park(on bool) {
	s.mu.Lock()
	s.parked = on
	s.mu.Unlock()
}

// startPrune prunes the slot records older than the retention, beside the
// loop: a backlog may take minutes, and slots keep firing meanwhile (the
// store deletes in batches between their claims). A prune still going
// when the next is due is left to finish instead.
func (s *Scheduler) startPrune() {
	s.mu.Lock()
	if s.pruning {
		s.mu.Unlock()
		return
	}
	s.pruning = true
	s.writes.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.writes.Done()
		s.prune()
		s.mu.Lock()
		s.pruning = false
		s.mu.Unlock()
	}()
}

// pruneTimeout bounds one prune; what it deleted stays deleted, and the
// next prune, an hour later, goes on from there.
const pruneTimeout = 10 * time.Minute

// prune forgets slot records older than the retention. The cursors stay,
// so no pruned slot can fire again. Shutdown cuts it short.
func (s *Scheduler) prune() {
	ctx, cancel := context.WithTimeout(s.stopped, pruneTimeout)
	defer cancel()
	before := s.cfg.Clock.Now().Add(-s.cfg.SlotRetention)
	n, err := s.cfg.Store.PruneSlots(ctx, before)
	switch {
	case err != nil && s.stopped.Err() != nil:
		s.log.Debug().Int64("slots", n).Msg("stopped pruning old slot records: the scheduler stops")
	case err != nil:
		s.log.Warn().Err(err).Int64("slots", n).Msg("could not prune old slot records; the next prune, in an hour, goes on")
	case n > 0:
		s.log.Debug().Int64("slots", n).Msg("pruned old slot records")
	}
}

// shutdown is the end of Run.
func (s *Scheduler) shutdown() error {
	s.finishAhead()
	s.mu.Lock()
	s.stopping = true
	close(s.stop)
	s.endStopped()
	now := s.cfg.Clock.Now()
	for _, name := range s.names {
		e := s.entries[name]
		if p := e.pending; p != nil {
			// Recorded, counted and logged as every missed slot is.
			s.metrics.missed.WithLabelValues(s.metrics.label(e.pb.Name)).Inc()
			s.settle(e, p.slot, history.SlotMissed, p.blockedBy, stoppedQueuedMessage, now)
			slotEvent(s.log.Warn(), e, p.slot).Str("blocked_by", p.blockedBy).Str("reason", ReasonStopped).Msg(stoppedQueuedMessage)
			e.pending = nil
		}
	}
	// A run waiting for a place is not started now that the scheduler
	// stops: its slot is recorded missed, as a queued slot's is.
	s.eachRun(func(rs *runState) {
		if rs.waiting {
			s.withdraw(rs, now)
		}
	})
	n, cause := s.runningLocked(), s.stopCause
	s.unlock()
	if cause != "" && (n == 0 || !s.cfg.LetGo) {
		// The one line of the stop: the front end that caught the
		// signal leaves it to this one, which knows the runs.
		msg := "stopping: no more slots fire; no run is going"
		if n > 0 {
			msg = "stopping: no more slots fire; waiting for the running runs"
		}
		s.log.Info().Str("signal", cause).Int("runs", n).Str("grace", short.Duration(s.cfg.Grace)).Msg(msg)
	}
	if n > 0 && s.cfg.LetGo {
		s.log.Info().Int("runs", n).Msg("stopping: letting go of the running runs; they go on where they execute")
		s.mu.Lock()
		s.eachRun(func(rs *runState) { s.cancelRun(rs, ErrShutdown) })
		s.mu.Unlock()
	} else if n > 0 {
		if cause == "" {
			s.log.Info().Int("runs", n).Str("grace", short.Duration(s.cfg.Grace)).Msg("stopping: waiting for running runs")
		}
		grace := s.cfg.Clock.NewTimer(s.cfg.Grace)
		for s.running() > 0 {
			select {
			case <-grace.C():
				s.cancelAll(ErrShutdown)
			case <-s.wake:
				continue
			}
			break
		}
		grace.Stop()
	}
	s.runs.Wait()
	s.writes.Wait()
	// A stopped scheduler fires nothing: with Config.Metrics shared, the
	// gauge must not go on counting its playbooks on a replica that no
	// longer leads, or until the next scheduler loads its own.
	s.metrics.loaded.Set(0)
	s.log.Info().Msg("stopped")
	return nil
}

// cancelAll cancels every run, those still being launched as soon as
// their Launch returns.
func (s *Scheduler) cancelAll(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	s.eachRun(func(rs *runState) {
		n++
		s.cancelRun(rs, cause)
	})
	s.log.Warn().Int("runs", n).Msg("grace period over: cancelling the runs still going")
}

// cancelRun cancels rs with cause, as soon as its Launch returns if it is
// still being launched. The caller holds s.mu.
func (s *Scheduler) cancelRun(rs *runState, cause error) {
	rs.cancel = cause
	if rs.handle != nil {
		safeCancel(rs.handle, cause)
	}
}

// eachRun calls f for every run of loaded and retired playbooks.
func (s *Scheduler) eachRun(f func(*runState)) {
	for _, e := range s.entries {
		for _, rs := range e.running {
			f(rs)
		}
	}
	for e := range s.retired {
		for _, rs := range e.running {
			f(rs)
		}
	}
}

func (s *Scheduler) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runningLocked()
}

func (s *Scheduler) runningLocked() int {
	n := 0
	s.eachRun(func(*runState) { n++ })
	return n
}

// removeRun takes rs out of its entry's running list.
func removeRun(e *entry, rs *runState) {
	e.running = slices.DeleteFunc(e.running, func(x *runState) bool { return x == rs })
}

// SetStopCause names the signal that is about to stop the scheduler: its
// "stopping: no more slots fire" line then carries it, with the runs still
// going and the grace, and is the stop's one line, the caller writing none
// of its own. Without it (serve, whose own line names the signal) the
// scheduler says only that it waits for the running runs, if any.
func (s *Scheduler) SetStopCause(signal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopCause = signal
}
