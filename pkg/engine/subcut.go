package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// cutError is the cause a sub-run's steps see when a timeout outside the
// sub-run ends it: that of the playbook.run step that started it, or the
// playbook timeout of the run that called it. It names which, so that a
// step, or a playbook, with no timeout of its own does not read as
// having run out of one.
type cutError struct {
	step     string // the playbook.run step, as the report's path names it
	playbook string // or the calling playbook, whose timeout it was
	d        time.Duration
}

func (c *cutError) Error() string {
	if c.playbook != "" {
		return fmt.Sprintf("cut by the timeout of playbook %s, %s", c.playbook, short.Duration(c.d))
	}
	return fmt.Sprintf("cut by step %s timeout of %s", c.step, short.Duration(c.d))
}

// Unwrap is the timeout that cut the sub-run, for stepTimedOut: a step's
// bounds the sub-run's handlers as the step's own timeout does.
func (c *cutError) Unwrap() error {
	if c.playbook != "" {
		return &timeoutError{what: playbookTimeout, d: c.d}
	}
	return &timeoutError{what: stepTimeout, d: c.d}
}

// subTimeoutError is the cause of a sub-run's own playbook timeout: it
// names the sub-playbook, whose steps' rows sit under a step of a caller
// that may have no timeout at all. It is the timeoutError it wraps to
// everything that asks.
type subTimeoutError struct {
	playbook string
	*timeoutError
}

func (s *subTimeoutError) Error() string {
	return fmt.Sprintf("playbook %s timeout of %s exceeded", s.playbook, short.Duration(s.d))
}

func (s *subTimeoutError) Unwrap() error { return s.timeoutError }

// playbookTimeoutCause is the cause of the run's own playbook timeout d:
// named after the playbook in a sub-run.
func (r *run) playbookTimeoutCause(d time.Duration) error {
	te := &timeoutError{what: playbookTimeout, d: d}
	if r.o.parent == "" {
		return ops.WithClass(ops.ClassTimeout, te)
	}
	return ops.WithClass(ops.ClassTimeout, &subTimeoutError{r.p.pb.Name, te})
}

// subContext is the context of the sub-run that step (its path in the
// report) of playbook caller starts: done when ctx is, with ctx's cause,
// except that the step's own timeout, or the caller's playbook timeout,
// reaches the sub-run as a cutError naming it. ctx's deadline stays
// visible. The function returned releases it.
func subContext(ctx context.Context, step, caller string) (context.Context, func()) {
	sctx, cancel := context.WithCancelCause(keepDeadline{context.WithoutCancel(ctx), ctx})
	end := func() { cancel(subCause(context.Cause(ctx), step, caller)) }
	if ctx.Err() != nil {
		end()
		return sctx, func() {}
	}
	stop := context.AfterFunc(ctx, end)
	return sctx, func() {
		stop()
		cancel(nil)
	}
}

// subCause is what a sub-run started by step of playbook caller is told
// ended it: a cutError for step's own timeout or caller's playbook
// timeout, cause unchanged for anything else (a timeout further out is
// already told as a cut).
func subCause(cause error, step, caller string) error {
	var te *timeoutError
	var cut *cutError
	if errors.As(cause, &cut) || !errors.As(cause, &te) {
		return cause
	}
	switch te.what {
	case stepTimeout:
		return ops.WithClass(ops.ClassTimeout, &cutError{step: step, d: te.d})
	case playbookTimeout:
		return ops.WithClass(ops.ClassTimeout, &cutError{playbook: caller, d: te.d})
	}
	return cause
}

// subItemPath names item i of step id, whose label is label, as the
// report's paths of nested steps do: "fan[web-1]" by its label, "fan[0]"
// by its index when it has none (two items would share it).
func subItemPath(id string, i int, label string) string {
	if label == "" {
		return fmt.Sprintf("%s[%d]", id, i)
	}
	return id + "[" + label + "]"
}

// keepDeadline is a context without cancellation that still reports the
// deadline of from, for operations that set it on a connection.
type keepDeadline struct {
	context.Context
	from context.Context
}

func (k keepDeadline) Deadline() (time.Time, bool) { return k.from.Deadline() }
