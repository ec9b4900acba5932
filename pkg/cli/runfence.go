package cli

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// fencer is a shared store that fences itself when it cannot reach its
// database (postgres.Store: see its Fence).
type fencer interface {
	Fence() <-chan struct{}
	FenceError() error
	Renew(ctx context.Context) error
}

// renewTimeout bounds the heartbeat sent for a run that starts on a
// fenced store.
const renewTimeout = 2 * time.Second

// runFence stops the runs of this process (those `schedule` fires, or
// the one `run` runs) that hold a concurrency group when the shared store
// fences itself: the other processes on the database take this one for
// dead at the end of its lease and free its groups, and its run must have
// stopped by then. A run is watched from its start (its run_started
// event: it holds its group), not while it waits for the group. Its
// goroutines end with their runs; wait waits for them.
type runFence struct {
	st fencer
	// stopping is told of each run the fence cancels, just before, with
	// the cause it is cancelled with.
	stopping func(pb *steps.Playbook, h *runs.Handle, cause error)
	wg       sync.WaitGroup
}

// newRunFence returns the fence of st's runs, which tells stopping of
// each run it cancels; nil (which fences nothing) for a store that does
// not fence itself, such as a state dir's.
func newRunFence(st store.Store, stopping func(pb *steps.Playbook, h *runs.Handle, cause error)) *runFence {
	f, ok := st.(fencer)
	if !ok {
		return nil
	}
	return &runFence{st: f, stopping: stopping}
}

// logStopping is a runFence's stopping that logs a warning to log.
func logStopping(log zerolog.Logger) func(*steps.Playbook, *runs.Handle, error) {
	return func(pb *steps.Playbook, h *runs.Handle, cause error) {
		log.Warn().Str("playbook", pb.Name).Str("run_id", h.ID()).Err(cause).
			Msg("run cancelled: this process could not reach the database for half its lease")
	}
}

// watch watches the run h of pb, if pb has a concurrency group. It never
// blocks.
func (f *runFence) watch(pb *steps.Playbook, h *runs.Handle) {
	if f == nil || pb.Concurrency == nil {
		return
	}
	sub := h.Events().Subscribe(0)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer sub.Cancel()
		for started := false; !started; {
			ev, ok := sub.Next(context.Background())
			if !ok {
				return // ended before it started
			}
			started = ev.Kind == engine.EventRunStarted
		}
		sub.Cancel()
		fence := f.st.Fence()
		select {
		case <-fence:
			ctx, cancel := context.WithTimeout(context.Background(), renewTimeout)
			if f.st.Renew(ctx) == nil {
				fence = f.st.Fence()
			}
			cancel()
		default:
		}
		select {
		case <-h.Done():
		case <-fence:
			select {
			case <-h.Done():
				return // it ended without starting, or just now
			default:
			}
			cause := f.st.FenceError()
			if f.stopping != nil {
				f.stopping(pb, h, cause)
			}
			h.Cancel(cause)
		}
	}()
}

// wait waits for the watches to end: every run has.
func (f *runFence) wait() {
	if f != nil {
		f.wg.Wait()
	}
}
