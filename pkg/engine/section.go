package engine

import (
	"context"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// runSection runs the steps of one section as a graph: a step starts as
// soon as all its needs are done, up to the engine's parallel limit. A step
// whose needs did not all succeed is skipped without running, and so are its
// dependents. It returns when every step of the section has an outcome.
func (r *run) runSection(ctx context.Context, nodes []*node, env map[string]any) {
	if len(nodes) == 0 {
		return
	}
	var ready []*node
	for _, n := range nodes {
		r.slots[n.idx].waiting = len(n.needs)
		if len(n.needs) == 0 {
			ready = append(ready, n)
		}
	}
	var done chan *node // made for the first step run beside another
	running, finished := 0, 0
	for finished < len(nodes) {
		for len(ready) > 0 {
			n := ready[0]
			ready = ready[1:]
			if r.settle(ctx, n, env) {
				r.rescue(ctx, n, env)
				finished++
				ready = r.release(n, ready)
				continue
			}
			if running == 0 && len(ready) == 0 {
				// The only step that can run now: run it here rather than
				// hand it to a goroutine, which a plain sequence of steps
				// would otherwise pay for at every step.
				r.runInSlot(ctx, n, env)
				r.rescue(ctx, n, env)
				finished++
				ready = r.release(n, ready)
				continue
			}
			running++
			if done == nil {
				done = make(chan *node, len(nodes))
			}
			done := done // captured by value: the variable stays on the stack
			go func() {
				r.runInSlot(ctx, n, env)
				// The rescue steps take their own slots: holding this one
				// while they wait for theirs could leave none.
				r.rescue(ctx, n, env)
				done <- n
			}()
		}
		if running == 0 {
			// Only reachable if the graph were cyclic, which the loader
			// rules out; never wait forever.
			break
		}
		n := <-done
		running--
		finished++
		ready = r.release(n, ready)
	}
}

// release counts n as done for its dependents and returns the ready list
// with those whose needs are now all done.
func (r *run) release(n *node, ready []*node) []*node {
	for _, d := range n.dependents {
		r.slots[d.idx].waiting--
		if r.slots[d.idx].waiting == 0 {
			ready = append(ready, d)
		}
	}
	return ready
}

// rescue runs the rescue steps of n when it failed, as a section of their
// own, before n's dependents are released; when none of them fails, n is
// rescued: its failure no longer blocks its dependents nor fails the run.
// When n did not fail, its rescue steps are skipped.
func (r *run) rescue(ctx context.Context, n *node, env map[string]any) {
	if len(n.rescue) == 0 {
		return
	}
	rec := r.rec(n.idx)
	if rec.status != report.StatusFailed {
		r.skipAll(n.rescue, fmt.Sprintf("%s did not fail", n.step.ID), false)
		return
	}
	r.runSection(ctx, n.rescue, env)
	if r.firstFailure(n.rescue) == nil {
		rec.rescued = true
		r.states[n.step.ID].Rescued = true
		r.log.Info().Str("step", n.step.ID).Msg("step rescued")
	}
}

// settle decides the outcome of a step that will not run: one reused from
// a resumed run or left out of a partial run, one whose needs did not all
// succeed, or any step once the run is cancelled. It reports whether it
// did.
func (r *run) settle(ctx context.Context, n *node, env map[string]any) bool {
	if r.unselected(n) {
		return true
	}
	for _, need := range n.needs {
		rec := r.rec(need.idx)
		if met(rec, need.step.ContinueOnError || rec.rescued) {
			continue
		}
		why := "was " + string(rec.status)
		switch {
		case rec.blocked:
			why = "was skipped"
		case rec.status == report.StatusFailed:
			why = "failed"
		case rec.err != nil && rec.err.Class == string(ops.ClassDeclined):
			why = "was declined"
		}
		r.decided(n, report.StatusSkipped, fmt.Sprintf("needs %s, which %s", need.step.ID, why), nil, true)
		return true
	}
	// Reuse comes after the needs: a step whose need failed in this run is
	// skipped, as in any run, not reused. A partial run runs what it
	// selects, even steps that succeeded in the run it resumes, and
	// gives them no reason to run again.
	if r.chosen == nil {
		if prev := r.reusable(n, env); prev != nil {
			r.reuse(n, prev)
			return true
		}
	}
	if r.o.dryRun {
		for _, read := range n.reads {
			if rr := r.rec(read.idx); rr.dryRun {
				r.decided(n, report.StatusSkipped, fmt.Sprintf("dry run: reads steps.%s, which the dry run %s", read.step.ID, dryWhat(rr)), nil, false)
				r.rec(n.idx).dryRun = true
				return true
			}
		}
	}
	if ctx.Err() != nil {
		r.notStarted(ctx, n)
		return true
	}
	return false
}

// runInSlot runs n in one of the run's parallel slots (--max-parallel),
// once it has one. A run cancelled (or timed out) while n waits for it
// ends n as not started, as it ends a step that comes ready then: a step
// that waited its turn behind a long one is not started after a Ctrl-C,
// nor told as tried.
func (r *run) runInSlot(ctx context.Context, n *node, env map[string]any) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		r.notStarted(ctx, n)
		return
	}
	defer func() { <-r.sem }()
	if ctx.Err() != nil { // both were ready: select picks either
		r.notStarted(ctx, n)
		return
	}
	r.runStep(ctx, n, env)
}

// notStarted ends a step the run's cancellation (or timeout) kept from
// starting: cancelled, with no attempt and no start time.
func (r *run) notStarted(ctx context.Context, n *node) {
	cause := context.Cause(ctx)
	class := ops.ClassOf(cause)
	if class != ops.ClassTimeout {
		class = ops.ClassCancelled
	}
	r.decided(n, report.StatusCancelled, "not started: "+cause.Error(), &report.Error{Class: string(class), Message: cause.Error()}, true)
}

// met reports whether a finished need lets its dependents run: it
// succeeded, was skipped by its own condition, or failed with
// continue_on_error (or was rescued, which its caller says the same way). A denied, declined or cancelled need never does:
// continue_on_error excuses failures, not refusals.
func met(rec *record, continueOnError bool) bool {
	switch rec.status {
	case report.StatusSucceeded:
		return true
	case report.StatusSkipped:
		return !rec.blocked
	case report.StatusFailed:
		return continueOnError
	}
	return false
}

// decided records the outcome of a step that did not run.
func (r *run) decided(n *node, status report.Status, reason string, err *report.Error, blocked bool) {
	rec := r.rec(n.idx)
	rec.status, rec.reason, rec.err, rec.blocked = status, reason, err, blocked
	r.publish(n)
	r.log.Debug().Str("step", n.step.ID).Str("status", string(status)).Str("reason", reason).Msg("step not run")
	r.stepStarted(n, 0)
	r.stepFinished(n)
}
