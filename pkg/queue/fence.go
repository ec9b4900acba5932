package queue

import (
	"context"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// renewTimeout bounds the heartbeat a run about to start sends when it
// finds the store fenced.
const renewTimeout = 2 * time.Second

// fenced tells whether a run of pb must stop when this replica fences
// itself (see postgres.Store.Fence): the others, taking the replica for
// dead at the end of its lease, would free its concurrency group for
// another run of the group, or run the playbook again
// (retry_on_node_loss), beside this copy.
func fenced(pb *steps.Playbook) bool {
	return pb.Concurrency != nil || pb.RetryOnNodeLoss
}

// startSignal wraps a run's claim so that started is closed once the
// claim went through: the run has its group, if any, and starts. Until
// then the run waits here (for a run slot or its group), which the fence
// leaves alone: its job goes to another replica after the lease, and its
// claim then fails.
func startSignal(claim runs.Claim) (runs.Claim, <-chan struct{}) {
	started := make(chan struct{})
	var once sync.Once
	return func(ctx context.Context, run history.Run) error {
		err := claim(ctx, run)
		if err == nil {
			once.Do(func() { close(started) })
		}
		return err
	}, started
}

// await waits for the run h of pb to end. River stopping this replica
// (ctx) leaves the run to the manager's shutdown, which cancels it. A run
// that fenced says must stop is cancelled, once it has started, when the
// store fences itself, with the store's FenceError: it ends cancelled,
// and its record, with that message, reaches the database once the
// replica does. A run that starts on a fenced store first sends a
// heartbeat: when it goes through, the database is back and the run goes
// on.
func (q *Queue) await(ctx context.Context, h *runs.Handle, pb *steps.Playbook, started <-chan struct{}) {
	if !fenced(pb) {
		started = nil
	}
	var fence <-chan struct{}
	for {
		select {
		case <-h.Done():
			return
		case <-ctx.Done():
			<-h.Done()
			return
		case <-started:
			started, fence = nil, q.cfg.Store.Fence()
			if isClosed(fence) {
				rctx, cancel := context.WithTimeout(ctx, renewTimeout)
				if q.cfg.Store.Renew(rctx) == nil {
					fence = q.cfg.Store.Fence()
				}
				cancel()
			}
		case <-fence:
			fence = nil
			if isClosed(h.Done()) {
				return // it ended without starting, or just now
			}
			cause := q.cfg.Store.FenceError()
			q.log.Warn().Str("run_id", h.ID()).Str("playbook", pb.Name).Err(cause).
				Msg("run cancelled: this replica could not reach the database for half its lease")
			h.Cancel(cause)
		}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
