package remote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Wait is the ssh.wait operation.
type Wait struct{ base }

var (
	_ ops.Op             = (*Wait)(nil)
	_ ops.ParamValidator = (*Wait)(nil)
)

// MaxWait bounds ssh.wait's timeout.
const MaxWait = 24 * time.Hour

// defaultWaitTimeout is ssh.wait's timeout when none is given.
const defaultWaitTimeout = "5m"

func waitSpec() ops.Spec {
	return ops.Spec{
		Name: "ssh.wait",
		Description: "Wait until a host accepts SSH again, as after a reboot: connect, log in and run true, every interval, until it works or timeout runs out. " +
			"A host key that changed, or a login the server refuses, fails at once instead of waiting. Changes nothing.",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			hostParam(),
			{Name: "timeout", Type: ops.TypeDuration, Default: defaultWaitTimeout, Max: ops.Bound(MaxWait.Seconds()), Description: "how long to wait in all"},
			{Name: "interval", Type: ops.TypeDuration, Default: "2s", Min: ops.Bound(0.1), Max: ops.Bound(600), Description: "the pause after a failed attempt before the next"},
			{Name: "delay", Type: ops.TypeDuration, Default: "0s", Min: ops.Bound(0), Max: ops.Bound(3600), Description: "a pause before the first attempt, for a host that is still going down"},
			passphraseParam(),
		},
		Output: []ops.Field{
			{Name: "host", Type: "string"},
			{Name: "attempts", Type: "integer", Description: "connection attempts made, the last one successful"},
			{Name: "waited_ms", Type: "integer", Description: "milliseconds from the start of the step to the successful login"},
		},
	}
}

// ValidateParams checks the host and the timeout, and that the delay
// leaves time for an attempt: written both as literals (or the timeout
// left to its default), a delay no shorter than the timeout is refused
// when the playbook loads, not after the delay has been waited out; with
// either one an expression, when the step runs.
func (*Wait) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	checkHost(p, &errs)
	timeout := p.Duration("timeout")
	if p.Known("timeout") && timeout <= 0 {
		errs = append(errs, &ops.ParamError{Param: "timeout", Msg: "must be positive"})
	}
	if p.Known("timeout") && p.Known("delay") && timeout > 0 && p.Duration("delay") >= timeout {
		errs = append(errs, &ops.ParamError{Param: "delay", Msg: fmt.Sprintf(
			"%s is not shorter than timeout %s, so the step would time out before its first attempt; "+
				"make delay shorter than timeout, or timeout longer than delay (it defaults to %s)",
			short.Duration(p.Duration("delay")), short.Duration(timeout), defaultWaitTimeout)})
	}
	return errsOrNil(errs)
}

// Execute waits for the host.
func (w *Wait) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	pool, h, err := w.target(ctx, p)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	limit := p.Duration("timeout")
	ctx, cancel := context.WithTimeoutCause(ctx, limit, &waitTimeout{fmt.Sprintf("%s did not accept SSH within %s", h.Name, short.Duration(limit))})
	defer cancel()
	a := authOpts{passphrase: p.String("key_passphrase")}
	plan := waitPlan{delay: p.Duration("delay"), interval: p.Duration("interval")}
	pause := plan.delay
	var last error
	for attempt := 1; ; attempt++ {
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				plan.paused = true
				return nil, plan.failed(ctx, attempt-1, last)
			}
		}
		pause = plan.interval
		err := pool.probe(ctx, h, a)
		if err == nil {
			return map[string]any{"host": h.Name, "attempts": attempt, "waited_ms": time.Since(start).Milliseconds()}, nil
		}
		var hk *hostKeyError
		var le *loginError
		if errors.As(err, &hk) || errors.As(err, &le) || errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) == ops.ClassValidation {
			return nil, err
		}
		if ctx.Err() != nil {
			// The attempt cut short by the timeout says less than the
			// one before it.
			if last == nil {
				last = err
			}
			return nil, plan.failed(ctx, attempt, last)
		}
		last = err
	}
}

// waitPlan is when ssh.wait's attempts came, for the error that says why
// there were no more of them.
type waitPlan struct {
	delay, interval time.Duration
	paused          bool // the timeout ran out between attempts
}

// failed is ssh.wait's error when ctx ended after attempts, the last of
// which failed with last. It says how the attempts were spaced, so that
// a count lower than timeout/interval is not a puzzle: the delay, the
// interval after each attempt (however long it took) and the next one
// falling after the timeout all take their share.
func (w waitPlan) failed(ctx context.Context, attempts int, last error) error {
	cause := context.Cause(ctx)
	if last == nil {
		if attempts == 0 && w.delay > 0 {
			return fmt.Errorf("%w (no attempt: the delay of %s before the first did not end within it; make the delay shorter than the timeout)", cause, short.Duration(w.delay))
		}
		return cause
	}
	n := fmt.Sprintf("%d attempts", attempts)
	if attempts == 1 {
		n = "1 attempt"
	}
	var when []string
	if w.delay > 0 {
		when = append(when, "the first after the delay of "+short.Duration(w.delay))
	}
	if attempts > 1 {
		when = append(when, "each after the one before failed and the interval of "+short.Duration(w.interval))
	}
	if w.paused {
		when = append(when, "the next was due after the timeout")
	}
	if len(when) > 0 {
		n += ": " + strings.Join(when, ", ")
	}
	// An attempt cut short by the timeout says where it was held up.
	if where, ok := strings.CutPrefix(last.Error(), cause.Error()+" while "); ok {
		return fmt.Errorf("%w (%s; the last was still %s)", cause, n, where)
	}
	return fmt.Errorf("%w (%s; the last: %v)", cause, n, last)
}

// waitTimeout is the end of ssh.wait's timeout: a deadline exceeded (its
// class is timeout), said in words.
type waitTimeout struct{ msg string }

func (e *waitTimeout) Error() string { return e.msg }

func (e *waitTimeout) Unwrap() error { return context.DeadlineExceeded }

// probe logs in to h and runs true, within DialTimeout. It uses the pooled
// connection when that has a session free, so that the connection a host
// accepts after a reboot serves the steps after the wait. When steps hold
// every session it may carry (or the server allows), it logs in over a
// connection of its own instead: a busy connection says nothing about the
// host, and waiting for those steps is not the host failing to answer.
//
// A pooled connection that gives no session, or runs nothing, in time is
// closed only when it does not answer a keepalive either, as a host that
// rebooted under it leaves it: one that answers carries other steps, which
// closing it would fail.
func (p *Pool) probe(ctx context.Context, h *inventory.Host, a authOpts) error {
	pctx, cancel := context.WithTimeoutCause(ctx, p.s.DialTimeout, fmt.Errorf("%s gave no answer within %s", h.Name, short.Duration(p.s.DialTimeout)))
	defer cancel()
	s, c, release, err := p.sessionFor(pctx, h, a, forProbe)
	if errors.Is(err, errBusy) {
		return p.probeAlone(pctx, h, a)
	}
	if err != nil {
		if pctx.Err() != nil {
			p.closeSilent(h, context.Cause(pctx))
			if errors.Is(err, context.Cause(pctx)) {
				return err // it says where the login was held up
			}
			return context.Cause(pctx)
		}
		return err
	}
	done := make(chan error, 1)
	go func() { done <- s.Run("true") }()
	select {
	case err := <-done:
		release()
		return err
	case <-pctx.Done():
	}
	if !c.answers(p.s.KeepAlive) {
		c.close(context.Cause(pctx))
		<-done
		release()
		return context.Cause(pctx)
	}
	// The server answers but runs nothing: the steps on the connection
	// may still be fine. Closing the session frees its slot; the pool,
	// whose Close ends the connection and so the session, waits for what
	// is left of it.
	release()
	if !p.spawn(func() { <-done }) {
		<-done
	}
	return fmt.Errorf("%w: it answers keepalives, but true did not run", context.Cause(pctx))
}

// probeAlone is probe over a connection of its own, closed after.
func (p *Pool) probeAlone(ctx context.Context, h *inventory.Host, a authOpts) error {
	c, done, err := p.dialAlone(ctx, h, a)
	if err != nil {
		return err
	}
	defer done()
	s, release, err := c.newSession(ctx, forStep)
	if err != nil {
		return err
	}
	defer release()
	ran := make(chan error, 1)
	go func() { ran <- s.Run("true") }()
	select {
	case err := <-ran:
		return err
	case <-ctx.Done():
		c.close(context.Cause(ctx))
		<-ran
		return context.Cause(ctx)
	}
}
