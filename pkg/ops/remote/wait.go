package remote

import (
	"context"
	"errors"
	"fmt"
	"time"

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

func waitSpec() ops.Spec {
	return ops.Spec{
		Name: "ssh.wait",
		Description: "Wait until a host accepts SSH again, as after a reboot: connect, log in and run true, every interval, until it works or timeout runs out. " +
			"A host key that changed, or a login the server refuses, fails at once instead of waiting. Changes nothing.",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			hostParam(),
			{Name: "timeout", Type: ops.TypeDuration, Default: "5m", Max: ops.Bound(MaxWait.Seconds()), Description: "how long to wait in all"},
			{Name: "interval", Type: ops.TypeDuration, Default: "2s", Min: ops.Bound(0.1), Max: ops.Bound(600), Description: "the pause between attempts"},
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

// ValidateParams checks the host and the timeout.
func (*Wait) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	checkHost(p, &errs)
	if p.Known("timeout") && p.Duration("timeout") <= 0 {
		errs = append(errs, &ops.ParamError{Param: "timeout", Msg: "must be positive"})
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
	ctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("%s did not accept SSH within %s: %w", h.Name, limit, context.DeadlineExceeded))
	defer cancel()
	a := authOpts{passphrase: p.String("key_passphrase")}
	pause := p.Duration("delay")
	var last error
	for attempt := 1; ; attempt++ {
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, waitFailed(ctx, attempt-1, last)
			}
		}
		pause = p.Duration("interval")
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
			return nil, waitFailed(ctx, attempt, last)
		}
		last = err
	}
}

func waitFailed(ctx context.Context, attempts int, last error) error {
	if last == nil {
		return context.Cause(ctx)
	}
	return fmt.Errorf("%w (%d attempts; the last: %v)", context.Cause(ctx), attempts, last)
}

// probe logs in to h and runs true, within DialTimeout. A pooled connection
// that does not answer in time is closed, as a host that rebooted under it
// would leave it.
func (p *Pool) probe(ctx context.Context, h *inventory.Host, a authOpts) error {
	pctx, cancel := context.WithTimeoutCause(ctx, p.s.DialTimeout, fmt.Errorf("%s gave no answer within %s", h.Name, p.s.DialTimeout))
	defer cancel()
	done := make(chan error, 1)
	go func() {
		s, _, release, err := p.session(pctx, h, a)
		if err == nil {
			err = s.Run("true")
			release()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-pctx.Done():
		p.closeHost(h, context.Cause(pctx))
		<-done
		return context.Cause(pctx)
	}
}
