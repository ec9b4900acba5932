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
// operation's own, and the run would succeed (exit 0) with a gap in the
// audit log nobody was told of. The run fails instead, whatever excused
// the steps.
type unaudited struct {
	mu    sync.Mutex
	n     int
	first string // the message of the first line lost
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

// failure is the run's error when a line was lost, nil when none was.
func (u *unaudited) failure() *report.Error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n == 0 {
		return nil
	}
	what := "a step's audit line"
	if u.n > 1 {
		what = fmt.Sprintf("%d steps' audit lines", u.n)
	}
	return &report.Error{Class: string(ops.ClassSystem), Message: fmt.Sprintf(
		"%s could not be written, so the run fails although continue_on_error or rescue excused the steps: %s", what, u.first)}
}
