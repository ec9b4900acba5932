package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// settings are a step's retry and repeat settings as it started: those
// written as ${{ }} evaluated once, the others as written.
type settings struct {
	retry steps.Retry
	every time.Duration // repeat.every
}

// settingsOf computes the settings of a step that has a repeat or a retry
// setting written as an expression; nil when it has neither, so that the
// step's own apply. A value out of bounds fails the step with class
// validation, naming the expression.
func (r *run) settingsOf(s *steps.Step, env map[string]any) (*settings, error) {
	if !s.Retry.Dynamic() && s.Repeat == nil {
		return nil, nil
	}
	set := &settings{retry: s.Retry}
	if e := s.Retry.AttemptsExpr; e != nil {
		n, err := r.evalInt(e, env, "retry.attempts", 1, 100)
		if err != nil {
			return nil, err
		}
		set.retry.Attempts = n
	}
	for _, d := range []struct {
		e    *steps.Expr
		to   *time.Duration
		what string
	}{{s.Retry.DelayExpr, &set.retry.Delay, "retry.delay"}, {s.Retry.MaxDelayExpr, &set.retry.MaxDelay, "retry.max_delay"}} {
		if d.e == nil {
			continue
		}
		v, err := r.evalDuration(d.e, env, d.what)
		if err != nil {
			return nil, err
		}
		*d.to = v
	}
	if set.retry.MaxDelay > 0 && set.retry.Delay > set.retry.MaxDelay {
		return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: retry.delay %s is longer than retry.max_delay %s", r.file, s.Pos.Line, s.Pos.Col, short.Duration(set.retry.Delay), short.Duration(set.retry.MaxDelay))
	}
	if rp := s.Repeat; rp != nil {
		set.every = rp.Every
		if rp.EveryExpr != nil {
			v, err := r.evalDuration(rp.EveryExpr, env, "repeat.every")
			if err != nil {
				return nil, err
			}
			if err := r.checkAttempts(rp, v); err != nil {
				return nil, err
			}
			set.every = v
		}
	}
	return set, nil
}

// checkAttempts refuses an every from an expression that would try the
// step more than steps.MaxRepeatAttempts times, in the validator's words.
// A literal every is checked when the playbook loads; one from ${{ }}
// only now, so a 1ns every cannot spin for the whole timeout.
func (r *run) checkAttempts(rp *steps.Repeat, every time.Duration) error {
	n := rp.Timeout / every
	if n <= steps.MaxRepeatAttempts {
		return nil
	}
	e := rp.EveryExpr
	return ops.Errorf(ops.ClassValidation, "%s:%d:%d: repeat.every: %s gave %s: repeat would try up to %d times (timeout %s / every %s), over the limit of %d; wait longer between attempts", r.file, e.Pos.Line, e.Pos.Col, quoteExpr(e.Source), short.Duration(every), n, short.Duration(rp.Timeout), short.Duration(every), steps.MaxRepeatAttempts)
}

func (r *run) evalInt(e *steps.Expr, env map[string]any, what string, lo, hi int) (int, error) {
	v, err := eval(r.file, e, env)
	if err != nil {
		return 0, err
	}
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case float64:
		f = x
	default:
		return 0, ops.Errorf(ops.ClassValidation, "%s:%d:%d: %s: %s gave %s, not a whole number", r.file, e.Pos.Line, e.Pos.Col, what, quoteExpr(e.Source), ops.TypeName(v))
	}
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, ops.Errorf(ops.ClassValidation, "%s:%d:%d: %s: %s gave %v; it must be a whole number from %d to %d", r.file, e.Pos.Line, e.Pos.Col, what, quoteExpr(e.Source), v, lo, hi)
	}
	return int(f), nil
}

func (r *run) evalDuration(e *steps.Expr, env map[string]any, what string) (time.Duration, error) {
	v, err := eval(r.file, e, env)
	if err != nil {
		return 0, err
	}
	s, ok := v.(string)
	if !ok {
		return 0, ops.Errorf(ops.ClassValidation, "%s:%d:%d: %s: %s gave %s, not a duration like \"10s\"", r.file, e.Pos.Line, e.Pos.Col, what, quoteExpr(e.Source), ops.TypeName(v))
	}
	d, err := time.ParseDuration(s)
	if h := steps.InHours(s); err != nil && h != "" {
		return 0, ops.Errorf(ops.ClassValidation, "%s:%d:%d: %s: %s gave %q, and days and weeks are no unit of a duration here; give %s", r.file, e.Pos.Line, e.Pos.Col, what, quoteExpr(e.Source), s, h)
	}
	if err != nil || d <= 0 || d > steps.MaxDuration {
		return 0, ops.Errorf(ops.ClassValidation, "%s:%d:%d: %s: %s gave %q; it must be a positive duration like 10s, at most %s", r.file, e.Pos.Line, e.Pos.Col, what, quoteExpr(e.Source), s, short.Duration(steps.MaxDuration))
	}
	return d, nil
}

// repeat runs a call until repeat.until holds for the output of its last
// attempt, waiting every between attempts, for at most repeat.timeout. An
// attempt that fails (after its own retries) ends the repeat with its
// error; running out of time is class timeout, and the step keeps the
// output repeat.until was last false for: an attempt the timeout cut
// short (which mostly gives none) does not replace it. A repeat event
// comes before each new attempt.
func (r *run) repeat(ctx context.Context, c *Call, set *settings) (map[string]any, error) {
	rp := c.Step.Repeat
	clock := r.p.e.clock
	rctx, cancel := context.WithTimeoutCause(ctx, rp.Timeout, ops.WithClass(ops.ClassTimeout, &timeoutError{what: "repeat.timeout", d: rp.Timeout}))
	defer cancel()
	var last map[string]any // the output of the last attempt that ended
	// late ends the repeat after done attempts ended; cut is the attempt
	// the timeout stopped, 0 when it ran out between attempts.
	late := func(done, cut int) (map[string]any, error) {
		if ctx.Err() != nil {
			// The run's timeout, a parent's or a cancel: its cause
			// first, then how far the repeat got, as for a cut retry.
			err := causeOf(ctx, context.Cause(ctx))
			if done == 0 {
				return last, err
			}
			far := fmt.Sprintf("repeat.until (%s) still false after %s", rp.Until.Source, plural(done, "attempt", "attempts"))
			if cut > 0 {
				far += fmt.Sprintf(", attempt %d cut short", cut)
			}
			return last, ops.WithClass(ops.ClassOf(err), fmt.Errorf("%w: %s", err, far))
		}
		over := fmt.Sprintf("repeat.timeout of %s exceeded", short.Duration(rp.Timeout))
		switch {
		case cut == 1:
			return last, ops.Errorf(ops.ClassTimeout, "%s during attempt 1, before repeat.until (%s) could be evaluated", over, rp.Until.Source)
		case cut > 1:
			over += fmt.Sprintf(" during attempt %d", cut)
		}
		return last, ops.Errorf(ops.ClassTimeout, "repeat.until (%s) still false after %s: %s", rp.Until.Source, plural(done, "attempt", "attempts"), over)
	}
	for n := 1; ; n++ {
		out, err := r.once(rctx, c)
		if err != nil {
			if rctx.Err() != nil {
				if n == 1 {
					last = out // what the first attempt gave is all there is
				}
				return late(n-1, n)
			}
			return out, err
		}
		ok, err := r.evalRetry(rp.Until, c, n, out, nil)
		if err != nil {
			return out, notEvaluated("repeat.until", nil, err)
		}
		if ok {
			return out, nil
		}
		last = out
		c.Log.Info().Int("attempt", n).Int64("every_ms", set.every.Milliseconds()).Msg("repeating")
		r.emitCall(c, Event{Kind: EventRepeat, Attempt: n, DelayMS: set.every.Milliseconds(), Message: untilFalse(c, "repeat", rp.Until.Source)})
		select {
		case <-clock.After(set.every):
		case <-rctx.Done():
			return late(n, 0)
		}
	}
}

// Satisfies reports whether out, an output the call did not produce (a
// cached one), meets the step's conditions on its output: retry.until,
// and repeat.until of a repeated step. A result cached by another step of
// the same operation and params was kept without them; served as it is,
// it would pass a gate whose condition it fails (a 503 to a step retried
// until 200) or end a poll with the state it polls past.
func (c *Call) Satisfies(out map[string]any) (bool, error) {
	if c.run == nil {
		return true, nil
	}
	r := c.Retry
	if r == nil {
		r = &c.Step.Retry
	}
	for _, e := range []*steps.Expr{r.Until, repeatUntil(c.Step)} {
		if e == nil {
			continue
		}
		if ok, err := c.run.evalRetry(e, c, 1, out, nil); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func repeatUntil(s *steps.Step) *steps.Expr {
	if s.Repeat == nil {
		return nil
	}
	return s.Repeat.Until
}
