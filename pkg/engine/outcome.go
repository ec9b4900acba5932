package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// mainStatus is the outcome of the steps section.
func (r *run) mainStatus(ctx context.Context, setupErr error) (report.Status, *report.Error) {
	if setupErr != nil {
		return report.StatusFailed, r.errOf(setupErr)
	}
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		class := ops.ClassOf(cause)
		if class == ops.ClassTimeout {
			return report.StatusFailed, r.errOf(ops.WithClass(ops.ClassTimeout, cause))
		}
		return report.StatusCancelled, r.errOf(ops.WithClass(ops.ClassCancelled, cause))
	}
	if n := r.firstFailure(r.p.sections[0]); n != nil {
		return report.StatusFailed, r.stepFailure(n)
	}
	if e := r.lost.failure(); e != nil {
		return report.StatusFailed, e
	}
	return report.StatusSucceeded, nil
}

// firstFailure returns the first step of a section, in playbook order,
// that failed without continue_on_error, or was denied, declined or
// cancelled (which continue_on_error does not excuse).
func (r *run) firstFailure(nodes []*node) *node {
	for _, n := range nodes {
		switch rec := r.rec(n.idx); rec.status {
		case report.StatusFailed:
			if !n.step.ContinueOnError && !rec.rescued {
				return n
			}
		case report.StatusDenied, report.StatusCancelled:
			return n
		}
	}
	return nil
}

// firstDenied returns the first step of the run, in playbook order, that
// authorization denied (itself, one of its fan-out items, or a step of
// its sub-playbook), nil when none was. A failed run with a denial fails
// for it: a refusal is what the caller must act on (exit code 3), even
// when a step listed before it failed.
func (r *run) firstDenied() *node {
	for _, n := range r.p.nodes {
		if r.rec(n.idx).status == report.StatusDenied {
			return n
		}
	}
	return nil
}

func (r *run) stepFailure(n *node) *report.Error {
	rec := r.rec(n.idx)
	if rec.err != nil && rec.err.Class == string(ops.ClassDeclined) {
		return &report.Error{Class: rec.err.Class, Message: rec.err.Message}
	}
	e := &report.Error{Class: string(ops.ClassExecution), Message: fmt.Sprintf("step %s %s", n.step.ID, rec.status)}
	if rec.err != nil {
		e.Class = rec.err.Class
		msg := rec.err.Message
		if rec.status == report.StatusDenied {
			// "step x denied: denied: path …" says it twice.
			msg = strings.TrimPrefix(msg, ops.ErrDenied.Error()+": ")
		}
		e.Message += ": " + msg
	}
	if f := r.firstFailure(n.rescue); f != nil && rec.status == report.StatusFailed {
		e.Message += fmt.Sprintf("; its rescue did not recover it: step %s %s", f.step.ID, r.rec(f.idx).status)
		if fe := r.rec(f.idx).err; fe != nil {
			e.Message += ": " + fe.Message
		}
	}
	return e
}

func (r *run) errOf(err error) *report.Error {
	if err == nil {
		return nil
	}
	return &report.Error{Class: string(ops.ClassOf(err)), Message: err.Error()}
}
