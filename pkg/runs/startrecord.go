package runs

import (
	"context"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// startRecord is a run's start on its way to the history. With a store
// that queues starts (history.Store.QueueStart), the run does not wait for
// the commit: it waits only before its first call of an operation that
// may change something, and before its first live step rows, so that a run
// that changes anything is in the history before it does. A short run
// that only reads is then written once, at its end, in place of its start.
type startRecord struct {
	mu      sync.Mutex
	written func() error // nil: nothing to wait for
	warn    func(format string, args ...any)
}

// queued sets what waits for the start's commit.
func (r *startRecord) queued(written func() error, warn func(string, ...any)) {
	r.mu.Lock()
	r.written, r.warn = written, warn
	r.mu.Unlock()
}

// wait returns once the start is written, or was taken over by the run's
// end; a start that could not be written is warned of, once.
func (r *startRecord) wait() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.written == nil {
		return
	}
	if err := r.written(); err != nil {
		r.warn("%v", err)
	}
	r.written = nil
}

// startKey carries a run's startRecord in its context (withStart).
type startKey struct{}

// withStart returns ctx carrying r, for beforeChange; ctx itself when r
// is nil (a start that is not recorded).
func withStart(ctx context.Context, r *startRecord) context.Context {
	if r == nil {
		return ctx
	}
	return context.WithValue(ctx, startKey{}, r)
}

// beforeChange is the engine middleware that waits for the run's start
// (its context's, see withStart) before an operation call that is not
// read-only. It is the same for every run, so that one plan serves every
// run of a playbook (see Service.planFor).
func beforeChange(next engine.Handler) engine.Handler {
	return func(ctx context.Context, c *engine.Call) (map[string]any, error) {
		if c.Entry.RiskFor(c.Params) != ops.RiskRead {
			if r, _ := ctx.Value(startKey{}).(*startRecord); r != nil {
				r.wait()
			}
		}
		return next(ctx, c)
	}
}
