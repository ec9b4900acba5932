package engine

import (
	"fmt"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// unaudited counts the calls of a run, and of its sub-runs, whose audit
// line could not be written. Each such call fails its step, but a step's
// continue_on_error or rescue would excuse that failure as it excuses the
// operation's own, and a retry: of the playbook.run step above it would
// run the sub-playbook again, and the run would succeed (exit 0) with a
// gap in the audit log nobody was told of. The run fails instead,
// whatever went on past the lost lines, and says what did.
type unaudited struct {
	mu    sync.Mutex
	n     int
	first string // the message of the first line lost
	// retried is how many of the n lines a retry: went on past (the
	// sub-run that lost them run again), retry the first step whose
	// retry: did.
	retried int
	retry   string
	// up is the calling run's, for a sub-run: a line a sub-run lost fails
	// its callers too, even when they excuse the playbook.run step.
	up *unaudited
}

// note records a call whose audit line could not be written.
func (u *unaudited) note(err error) {
	for ; u != nil; u = u.up {
		u.mu.Lock()
		if u.n == 0 {
			u.first = err.Error()
		}
		u.n++
		u.mu.Unlock()
	}
}

// retriedPast records that the retry: of step tried again a
// playbook.run step whose sub-run lost k audit lines.
func (u *unaudited) retriedPast(step string, k int) {
	for ; u != nil; u = u.up {
		u.mu.Lock()
		if u.retry == "" {
			u.retry = step
		}
		u.retried += k
		u.mu.Unlock()
	}
}

// lostLines marks the error of a playbook.run step whose sub-run lost n
// audit lines, so that a retry: trying the step again knows it goes on
// past them (retriedPast).
type lostLines struct {
	error
	n int
}

func (e *lostLines) Unwrap() error { return e.error }

// failure is the run's error when a line was lost, nil when none was.
func (u *unaudited) failure() *report.Error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n == 0 {
		return nil
	}
	what, it := "a step's audit line", "it"
	if u.n > 1 {
		what, it = fmt.Sprintf("%d steps' audit lines", u.n), "them"
	}
	why := "continue_on_error or rescue excused the steps"
	switch {
	case u.retried >= u.n:
		why = fmt.Sprintf("the retry: of step %s ran the sub-playbook again and went on past %s", u.retry, it)
	case u.retried > 0:
		why = fmt.Sprintf("continue_on_error, rescue or the retry: of step %s went on past %s", u.retry, it)
	}
	return &report.Error{Class: string(ops.ClassSystem), Message: fmt.Sprintf(
		"%s could not be written, so the run fails although %s: %s", what, why, u.first)}
}

// count is how many lines were lost.
func (u *unaudited) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n
}
