package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// timeoutError is the cause of a context that ran out of time.
type timeoutError struct {
	what string
	d    time.Duration
}

func (t *timeoutError) Error() string { return fmt.Sprintf("%s of %s exceeded", t.what, t.d) }

// stepTimeout is the what of a step's own timeout.
const stepTimeout = "step timeout"

// causeOf explains an error that came with a done context by the context's
// cause: a timeout, the run's cancellation, a fan-out's fail_fast.
func causeOf(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(err, cause) {
		return err
	}
	class := ops.ClassOf(cause)
	if class == ops.ClassExecution {
		class = ops.ClassCancelled
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ops.WithClass(class, cause)
	}
	if strings.Contains(err.Error(), cause.Error()) {
		// The error tells the cause already, as a sub-playbook's
		// cancelled run does: not twice.
		return ops.WithClass(class, err)
	}
	return ops.WithClass(class, fmt.Errorf("%w: %v", cause, err))
}
