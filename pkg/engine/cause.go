package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// timeoutError is the cause of a context that ran out of time.
type timeoutError struct {
	what string
	d    time.Duration
	// try and tries are set for a step timeout that cut one of several
	// attempts: which one, and of how many.
	try, tries int
	// params is set for a step timeout that bounds the evaluation of the
	// step's parameters, before its first attempt: a timeout there
	// means no attempt ran, and none is retried, as the same
	// expressions would take as long again.
	params bool
}

func (t *timeoutError) Error() string {
	if t.params {
		before := "before its operation ran"
		if t.tries > 1 {
			before = fmt.Sprintf("before attempt 1 of %d ran (not retried: they would take as long again)", t.tries)
		}
		return fmt.Sprintf("%s of %s exceeded while the step's parameters (with, env) were evaluated, %s; make their expressions cheaper, or raise timeout", t.what, t.d, before)
	}
	if t.tries > 1 {
		return fmt.Sprintf("%s of %s exceeded (attempt %d of %d)", t.what, short.Duration(t.d), t.try, t.tries)
	}
	return fmt.Sprintf("%s of %s exceeded", t.what, short.Duration(t.d))
}

// stepTimeout is the what of a step's own timeout.
const stepTimeout = "step timeout"

// causeOf explains an error that came with a done context by the context's
// cause: a timeout, the run's cancellation, a fan-out's fail_fast. The
// error ends with the cause's class (a cancelled call is not failed,
// whatever class its operation gave it), and keeps what the operation
// said it was doing: only a bare "context canceled" or "context deadline
// exceeded" gives way to the cause, which tells more.
func causeOf(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	if cause == nil {
		return err
	}
	class := ops.ClassOf(cause)
	if class == ops.ClassExecution {
		class = ops.ClassCancelled
	}
	if errors.Is(err, cause) {
		if ops.ClassOf(err) == class {
			return err
		}
		return ops.WithClass(class, err)
	}
	msg := err.Error()
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		msg = strings.TrimSuffix(strings.TrimSuffix(msg, context.Canceled.Error()), context.DeadlineExceeded.Error())
		msg = strings.TrimSuffix(msg, ": ")
		if msg == "" {
			return ops.WithClass(class, cause)
		}
	}
	if strings.Contains(msg, cause.Error()) {
		// The error tells the cause already, as a sub-playbook's
		// cancelled run does: not twice.
		return ops.WithClass(class, err)
	}
	return ops.WithClass(class, fmt.Errorf("%w: %s", cause, msg))
}
