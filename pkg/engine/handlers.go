package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// skipAll records every node (and its rescue steps) as not run, for a
// reason; blocked ones block what needs them.
func (r *run) skipAll(nodes []*node, reason string, blocked bool) {
	for _, n := range nodes {
		r.decided(n, report.StatusSkipped, reason, nil, blocked)
		r.skipAll(n.rescue, reason, blocked)
	}
}

// notify runs the notify: entries whose outcomes include how the run
// ended; the others are skipped. A notification that fails is recorded on
// its step and leaves the run's status as it is.
func (r *run) notify(ctx context.Context, status report.Status) {
	nodes := r.p.sections[secNotify]
	if len(nodes) == 0 {
		return
	}
	outcome := map[report.Status]string{report.StatusSucceeded: steps.NotifySuccess, report.StatusFailed: steps.NotifyFailure, report.StatusCancelled: steps.NotifyCancelled}[status]
	var send []*node
	for _, n := range nodes {
		if slices.Contains(n.step.NotifyOn, outcome) {
			send = append(send, n)
			continue
		}
		r.decided(n, report.StatusSkipped, fmt.Sprintf("the run %s; this entry is sent on %s", status, strings.Join(n.step.NotifyOn, ", ")), nil, false)
	}
	r.runSection(ctx, send, r.baseEnv(ctx, string(status)))
	for _, n := range send {
		rec := r.rec(n.idx)
		if rec.status == report.StatusSucceeded || rec.status == report.StatusSkipped {
			continue
		}
		sent := cmp.Or(rec.notification, &report.Notification{Sent: report.SentNone})
		what := report.NotificationText(sent)
		r.log.WithLevel(NotificationLevel(sent)).Str("step", n.step.ID).Str("status", string(rec.status)).Msg("notification " + what)
	}
}

// NotifyGrace is how long the notify: entries of a run that was cancelled
// or timed out may take, from when they start, whatever the handlers
// before them left of the handler budget.
const NotifyGrace = time.Minute

// notifyContext is the context of the notify: entries: the handlers' while
// the run goes normally. Once it was cancelled or timed out (ctx is done),
// the message that says so is what somebody waits for, and a finally that
// used up the handler budget must not cost it: the entries get NotifyGrace
// of their own. The timeout of the playbook.run step that started the run
// still ends them at once, as it ends the handlers. The outputs, computed
// last, get the same; what names the grace in the error of its end.
func (r *run) notifyContext(parent, ctx, hctx context.Context, what string) (context.Context, func()) {
	if ctx.Err() == nil || stepTimedOut(parent) {
		return hctx, func() {}
	}
	nctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	over := r.p.e.clock.After(NotifyGrace)
	done := make(chan struct{})
	go func() {
		select {
		case <-over:
			cancel(ops.WithClass(ops.ClassTimeout, &timeoutError{what: what, d: NotifyGrace}))
		case <-done:
		}
	}()
	stop := context.AfterFunc(parent, func() {
		if stepTimedOut(parent) {
			cancel(context.Cause(parent))
		}
	})
	return nctx, func() { close(done); stop(); cancel(nil) }
}

// failedSteps are the steps that made the run fail or that it cancelled
// while they ran, for run.failed_steps in the handlers: failed without
// continue_on_error and not rescued, denied, or cancelled once started.
func (r *run) failedSteps() []any {
	out := []any{}
	for _, n := range r.p.nodes {
		if n.step.Section == steps.SectionNotify {
			continue
		}
		rec := r.rec(n.idx)
		switch rec.status {
		case report.StatusFailed:
			if excused(n) || rec.rescued {
				continue
			}
		case report.StatusDenied:
		case report.StatusCancelled:
			if !rec.ran {
				continue
			}
		default:
			continue
		}
		out = append(out, n.step.ID)
	}
	return out
}

// reasonOnCancel gives the on_cancel steps passed over because the run
// was not cancelled the reason why, once it turned out to be cancelled
// after all, while its handlers ran.
func (r *run) reasonOnCancel(reason string) {
	for _, n := range r.p.sections[secOnCancel] {
		if rec := r.rec(n.idx); rec.status == report.StatusSkipped {
			rec.reason = reason
		}
	}
}

// lateEnd decides how a cancellation or timeout of ctx, the run's, that
// came while the handlers ran ends the run, given how it stands: it was
// received, so it is not dropped. A cancellation ends the run cancelled,
// and on_cancel, passed over, says why. A timeout fails a run whose steps
// succeeded (mainOK) with class timeout. Either way a handler step that
// failed too, maybe because of it, in a run whose steps succeeded is told
// after it.
// A run whose steps failed keeps their error. It returns the run's status
// and error, and whether they changed.
//
// parent is what ctx derives from, before the playbook's timeout: a
// cancellation of it after that timeout ran out (Ctrl-C while finally
// runs) cancels the run as any other does, though ctx keeps the timeout,
// its first cause.
func (r *run) lateEnd(parent, ctx context.Context, mainOK bool, status report.Status, runErr *report.Error) (report.Status, *report.Error, bool) {
	if status == report.StatusCancelled || ctx.Err() == nil {
		return status, runErr, false
	}
	cause := context.Cause(ctx)
	if c := context.Cause(parent); c != nil && ops.ClassOf(c) != ops.ClassTimeout {
		cause = c
	}
	switch {
	case ops.ClassOf(cause) != ops.ClassTimeout:
		r.reasonOnCancel("the run was cancelled after its steps had ended, while its handlers ran; on_cancel runs for a run cancelled during its steps")
		e := r.errOf(ops.WithClass(ops.ClassCancelled, cause))
		if mainOK && runErr != nil {
			e.Message += "; also " + runErr.Message
		}
		return report.StatusCancelled, e, true
	case status == report.StatusSucceeded:
		return report.StatusFailed, r.errOf(ops.WithClass(ops.ClassTimeout, cause)), true
	case mainOK && runErr != nil && runErr.Class != string(ops.ClassTimeout):
		return report.StatusFailed, &report.Error{Class: string(ops.ClassTimeout), Message: cause.Error() + "; also " + runErr.Message}, true
	}
	return status, runErr, false
}

// handlerContext is the context of on_failure and finally. It does not
// end with the run's cancellation, so the handlers run also after a signal
// or a timeout; but from the moment the run is cancelled or times out
// (before the handlers or while they run) they get the handler budget and
// no more. While the run goes normally, nothing but their own timeouts and
// the playbook's bounds them. The timeout of the playbook.run step that
// started the run ends them at once: a step's timeout bounds its whole
// sub-run. The calling run's own timeout or cancellation does not: that
// is the calling run timing out, and its sub-run's handlers get the budget.
func (r *run) handlerContext(parent, ctx context.Context) (context.Context, func()) {
	hctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	budget := r.p.e.handlerBudget
	over := func() {
		cancel(ops.WithClass(ops.ClassTimeout, &timeoutError{what: "handler budget", d: budget}))
	}
	outer := func() bool {
		if stepTimedOut(parent) {
			cancel(context.Cause(parent))
			return true
		}
		return false
	}
	if ctx.Err() != nil && outer() {
		return hctx, func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runDone, parentDone := ctx.Done(), parent.Done()
		var budgetC <-chan time.Time
		for {
			select {
			case <-done:
				return
			case <-parentDone:
				if outer() {
					return
				}
				parentDone = nil
			case <-runDone:
				runDone = nil
				if outer() {
					return
				}
				budgetC = r.p.e.clock.After(budget)
			case <-budgetC:
				over()
				return
			}
		}
	}()
	return hctx, func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// stepTimedOut reports whether ctx ended because a step's own timeout ran
// out, by the cause attempt gives it. A deadline alone does not tell: the
// calling playbook's timeout is one too.
func stepTimedOut(ctx context.Context) bool {
	var te *timeoutError
	return ctx.Err() != nil && errors.As(context.Cause(ctx), &te) && te.what == stepTimeout
}
