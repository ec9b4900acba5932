package runs

import (
	"context"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// settleWait bounds how long Start of a concurrency group's run waits for
// the run to take its group and slot, or to start waiting: a store that
// is slow to answer leaves the run queued rather than the caller waiting.
const settleWait = 2 * time.Second

// settle marks w settled: the run took its slot, waits (for its group or
// a slot), or ended. It is safe to call more than once, and on nil (a
// run that took its slot at Start).
func (w *waiter) settle() {
	if w != nil {
		w.settledOnce.Do(func() { close(w.settled) })
	}
}

// awaitSettled waits, within settleWait and ctx, until the run of w
// settled: a run of a free concurrency group that takes a free slot has
// then started, and one that must wait says what for (Manager.Place), as
// a run without a group does when Start returns.
func awaitSettled(ctx context.Context, w *waiter) {
	t := time.NewTimer(settleWait)
	defer t.Stop()
	select {
	case <-w.settled:
	case <-ctx.Done():
	case <-t.C:
	}
}

// awaitSlot waits for run h's slot, and reports whether it took it (see
// took); otherwise the run ended there: withdrawn, shut down or
// cancelled while it waited.
func (m *Manager) awaitSlot(h *Handle, p *prepared, w *waiter, end func(*report.Report, error), took, unclaimed func() bool) bool {
	select {
	case m.slots <- struct{}{}:
		return took()
	case <-w.withdraw:
		m.mu.Lock()
		m.queued--
		m.mu.Unlock()
		p.release()
		end(nil, ErrWithdrawn)
	case <-m.closed:
		if m.waitEnded(w) {
			p.release()
			end(nil, ErrWithdrawn)
			return false
		}
		p.release()
		end(m.svc.shutBeforeStart(p, h))
	case <-h.cancelled:
		if m.waitEnded(w) {
			p.release()
			end(nil, ErrWithdrawn)
			return false
		}
		if unclaimed() {
			return false
		}
		p.release()
		end(m.svc.neverRan(p, h, NotStarted(context.Cause(h.cancelCtx()).Error()), "not run: cancelled while waiting for a run slot"), nil)
	}
	return false
}

// startUnlessCancelled makes h running unless a Cancel came first, under
// the lock Cancel takes: a Cancel either finds the run queued and keeps
// it from starting, or finds it running and cancels its context. Checking
// the cancellation and then storing the state, as two steps, let a Cancel
// that saw the run queued fall between them.
func startUnlessCancelled(h *Handle) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cause != nil {
		return false
	}
	h.state.Store(StateRunning)
	return true
}

// shutBeforeStart ends a run the service shut down before it started:
// recorded cancelled, or, under Request.Requeue, not recorded at all.
func (s *Service) shutBeforeStart(p *prepared, h *Handle) (*report.Report, error) {
	if p.req.Requeue {
		return nil, ErrShuttingDown
	}
	return s.neverRan(p, h, "the service shut down before the run started", "not run: the service shut down before the run started"), nil
}
