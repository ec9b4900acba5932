package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// retry tries the call again by the step's retry settings. Waits end at once
// when the context is done.
func retry(clock Clock) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, c *Call) (map[string]any, error) {
			r := c.Retry
			if r == nil {
				r = &c.Step.Retry
			}
			for n := 1; ; n++ {
				c.try, c.tries = n, r.Attempts
				out, err := next(ctx, c)
				if n >= r.Attempts {
					return out, untilFailed(c, r, n, out, err)
				}
				if ctx.Err() != nil {
					return out, stopped(ctx, c, r, n, out, err)
				}
				again, rerr := shouldRetry(c, r, n, out, err)
				if rerr != nil {
					return out, rerr
				}
				if !again {
					return out, err
				}
				if lost := (*lostLines)(nil); errors.As(err, &lost) {
					c.run.lost.retriedPast(c.run.o.prefix+c.Step.ID, lost.n)
				}
				d := waitAfter(r, n, err)
				ev := Event{Kind: EventRetry, Attempt: n, Attempts: r.Attempts, DelayMS: d.Milliseconds()}
				line := c.Log.Info()
				if c.Index >= 0 {
					line = line.Int("item", c.Index) // which of a fan-out's items
				}
				line = line.Int("attempt", n).Int64("delay_ms", d.Milliseconds())
				if err == nil && r.Until != nil {
					// The attempt succeeded; what failed is the condition.
					ev.Message = untilFalse(c, "retry", r.Until.Source)
					line.Str("condition", ev.Message).Msg("retrying")
				} else {
					ev.Err, ev.ErrClass = c.run.maskText(errText(err)), string(ops.ClassOf(err))
					line.Str("error", errText(err)).Msg("retrying")
				}
				c.run.emitCall(c, ev)
				select {
				case <-clock.After(d):
				case <-ctx.Done():
					// The wait was cut: say so, so that the attempt's own
					// error does not read as what the cut caused.
					if err == nil {
						return out, causeOf(ctx, fmt.Errorf("while waiting to try again: %s", ev.Message))
					}
					return out, causeOf(ctx, fmt.Errorf("while waiting to retry after attempt %d failed: %w", n, err))
				}
			}
		}
	}
}

// untilFalse records on the call's last attempt that it succeeded but
// left its retry.until or repeat.until (what: "retry" or "repeat") false,
// and returns what it records: "retry.until (output.ready) is false".
func untilFalse(c *Call, what, source string) string {
	reason := fmt.Sprintf("%s.until (%s) is false", what, source)
	c.attempts.untilFalse(reason)
	return reason
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// shouldRetry decides after attempt n: an error is retried when retry.when
// says so (by default for execution and timeout errors); a success is
// retried while retry.until is false.
func shouldRetry(c *Call, r *steps.Retry, n int, out map[string]any, err error) (bool, error) {
	if err != nil {
		class := ops.ClassOf(err)
		if class == ops.ClassAuthorization || class == ops.ClassCancelled || class == ops.ClassValidation {
			return false, nil
		}
		if r.When == nil {
			return class == ops.ClassExecution || class == ops.ClassTimeout, nil
		}
		again, evalErr := c.run.evalRetry(r.When, c, n, out, err)
		if evalErr != nil {
			return false, notEvaluated("retry.when", err, evalErr)
		}
		return again, nil
	}
	if r.Until == nil {
		return false, nil
	}
	ok, evalErr := c.run.evalRetry(r.Until, c, n, out, nil)
	if evalErr != nil {
		return false, notEvaluated("retry.until", nil, evalErr)
	}
	return !ok, nil
}

// notEvaluated is the error of a step whose retry.when, retry.until or
// repeat.until could not be evaluated after an attempt: the attempt's own
// error, with its class, so that the real cause (a connection refused)
// is what the step reports, followed by why it was not tried again. When
// the attempt succeeded, it is evalErr's validation error alone.
func notEvaluated(what string, attemptErr, evalErr error) error {
	note := fmt.Sprintf("%s could not be evaluated, so the step was not tried again: %v", what, evalErr)
	if attemptErr == nil {
		return ops.WithClass(ops.ClassOf(evalErr), errors.New(note))
	}
	return ops.WithClass(ops.ClassOf(attemptErr), fmt.Errorf("%w; %s", attemptErr, note))
}

// untilFailed turns the last success into a failure when retry.until is
// still false.
func untilFailed(c *Call, r *steps.Retry, n int, out map[string]any, err error) error {
	if err != nil || r.Until == nil {
		return err
	}
	ok, evalErr := c.run.evalRetry(r.Until, c, n, out, nil)
	if evalErr != nil {
		return notEvaluated("retry.until", nil, evalErr)
	}
	if !ok {
		untilFalse(c, "retry", r.Until.Source)
		return ops.Errorf(ops.ClassExecution, "retry.until (%s) still false after %s", r.Until.Source, plural(n, "attempt", "attempts"))
	}
	return nil
}

// stopped ends a step whose run was cancelled (or timed out) as its
// attempt n, not its last, ended. A failure is the attempt's, which
// names the cause already; a success whose retry.until is false would
// have been tried again, so the step ends as the run does, cancelled
// (or timed out), not failed for a condition it had tries left to meet.
func stopped(ctx context.Context, c *Call, r *steps.Retry, n int, out map[string]any, err error) error {
	if err != nil || r.Until == nil {
		return err
	}
	ok, evalErr := c.run.evalRetry(r.Until, c, n, out, nil)
	if evalErr != nil {
		return notEvaluated("retry.until", nil, evalErr)
	}
	if ok {
		return nil
	}
	untilFalse(c, "retry", r.Until.Source)
	return causeOf(ctx, fmt.Errorf("retry.until (%s) was false after attempt %d, and the step could not try again", r.Until.Source, n))
}

// waitAfter is the wait after attempt n, which failed with err (or
// succeeded): the backoff, or longer when the far side asked for a longer
// wait (ops.RetryAfterError), up to max_delay when the step sets one and
// maxAskedWait when not.
func waitAfter(r *steps.Retry, n int, err error) time.Duration {
	d := backoff(r, n)
	if asked, ok := ops.RetryAfter(err); ok && asked > d {
		limit := maxAskedWait
		if r.MaxDelay > 0 {
			limit = r.MaxDelay
		}
		d = max(d, min(asked, limit))
	}
	return d
}

// maxAskedWait bounds the wait a server's Retry-After may impose on a step
// without max_delay: a runbook is not held for an hour by a header.
const maxAskedWait = 5 * time.Minute

// backoff returns the wait after attempt n: delay × backoff^(n-1), capped
// at max_delay (and at steps.MaxDuration, so it never overflows), with
// jitter spread evenly around it.
func backoff(r *steps.Retry, n int) time.Duration {
	d := float64(r.Delay) * math.Pow(r.Backoff, float64(n-1))
	limit := float64(steps.MaxDuration)
	if r.MaxDelay > 0 {
		limit = float64(r.MaxDelay)
	}
	if d > limit || math.IsInf(d, 0) || math.IsNaN(d) {
		d = limit
	}
	if r.Jitter > 0 {
		d *= 1 + r.Jitter*(2*rand.Float64()-1)
	}
	return time.Duration(d)
}
