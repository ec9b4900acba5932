package engine

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// crowd is an operation whose calls all wait for gate; in counts those
// waiting.
type crowd struct {
	in   atomic.Int32
	gate chan struct{}
}

func (c *crowd) register(r *ops.Registry) {
	r.MustRegister(ops.Spec{Name: "test.crowd", Risk: ops.RiskRead},
		ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
			c.in.Add(1)
			defer c.in.Add(-1)
			select {
			case <-c.gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return map[string]any{}, nil
		}))
}

// TestSerialBatchWithoutConcurrencyIsCapped checks that serial: without
// concurrency: runs a batch at once up to MaxConcurrency only: a batch of
// thousands of items must not start thousands of processes together.
// Once every item that could start is waiting (synctest.Wait), exactly
// MaxConcurrency of them are.
func TestSerialBatchWithoutConcurrencyIsCapped(t *testing.T) {
	c := &crowd{}
	e := New(registry(t, newTestOps().register, c.register))
	p := plan(t, e, header+`
steps:
  - id: fan
    op: test.crowd
    foreach: 0..2999
    serial: 100%
`)
	synctest.Test(t, func(t *testing.T) {
		c.gate = make(chan struct{})
		done := make(chan *report.Report)
		go func() { done <- mustRun(t, p, nil) }()
		synctest.Wait()
		if got := c.in.Load(); got != steps.MaxConcurrency {
			t.Errorf("%d items ran at once, want %d (MaxConcurrency)", got, steps.MaxConcurrency)
		}
		close(c.gate)
		rep := <-done
		if st := stepOf(t, rep, "fan"); st.Status != report.StatusSucceeded {
			t.Errorf("fan: %s %+v", st.Status, st.Error)
		}
	})
}
