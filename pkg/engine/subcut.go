package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// cutError is the cause a sub-run's steps see when the timeout of the
// playbook.run step that started the sub-run ends it: it names that step,
// so that a step with no timeout of its own does not read as having run
// out of one.
type cutError struct {
	step string // the playbook.run step, as the report's path names it
	d    time.Duration
}

func (c *cutError) Error() string {
	return fmt.Sprintf("cut by step %s timeout of %s", c.step, c.d)
}

// Unwrap makes the cut a step timeout for stepTimedOut: it bounds the
// sub-run's handlers as the step's own timeout does.
func (c *cutError) Unwrap() error { return &timeoutError{stepTimeout, c.d} }

// subContext is the context of the sub-run that step (its path in the
// report) starts: done when ctx is, with ctx's cause, except that the
// step's own timeout reaches the sub-run as a cutError naming the step.
// ctx's deadline stays visible. The function returned releases it.
func subContext(ctx context.Context, step string) (context.Context, func()) {
	sctx, cancel := context.WithCancelCause(keepDeadline{context.WithoutCancel(ctx), ctx})
	end := func() { cancel(subCause(context.Cause(ctx), step)) }
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

// subCause is what a sub-run started by step is told ended it: a cutError
// for step's own timeout, cause unchanged for anything else (a timeout
// further out is already told as a cut, or is a playbook's).
func subCause(cause error, step string) error {
	var te *timeoutError
	var cut *cutError
	if errors.As(cause, &cut) || !errors.As(cause, &te) || te.what != stepTimeout {
		return cause
	}
	return ops.WithClass(ops.ClassTimeout, &cutError{step, te.d})
}

// keepDeadline is a context without cancellation that still reports the
// deadline of from, for operations that set it on a connection.
type keepDeadline struct {
	context.Context
	from context.Context
}

func (k keepDeadline) Deadline() (time.Time, bool) { return k.from.Deadline() }
