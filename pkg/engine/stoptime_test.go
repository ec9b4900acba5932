package engine

import (
	"context"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// slowStop is an operation that takes an hour to stop, and says so.
type slowStop struct {
	started chan struct{}
	release chan struct{}
}

func (o *slowStop) Execute(ctx context.Context, _ ops.Params) (map[string]any, error) {
	close(o.started)
	<-ctx.Done()
	<-o.release
	return map[string]any{"stopped": true}, ctx.Err()
}

func (o *slowStop) StopTime(ops.Params) time.Duration { return time.Hour }

// longWaitClock fires every wait shorter than an hour at once, and tells
// of the longer ones, which never fire.
type longWaitClock struct{ long chan time.Duration }

func (longWaitClock) Now() time.Time { return time.Now() }

func (c longWaitClock) After(d time.Duration) <-chan time.Time {
	if d >= time.Hour {
		select {
		case c.long <- d:
		default:
		}
		return make(chan time.Time)
	}
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

// TestStopTimeDelaysAbandon: an operation that needs longer than the
// grace to stop (a program given a kill_grace) is waited for, not
// abandoned after the grace while it shuts down as it was told it may.
func TestStopTimeDelaysAbandon(t *testing.T) {
	op := &slowStop{started: make(chan struct{}), release: make(chan struct{})}
	clock := longWaitClock{long: make(chan time.Duration, 1)}
	e := New(registry(t, newTestOps().register, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.slowstop", Risk: ops.RiskRead}, op)
	}), WithGrace(time.Millisecond), WithClock(clock))
	p := plan(t, e, header+`
steps:
  - {id: a, op: test.slowstop}
`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var rep *report.Report
	go func() {
		r, err := p.Run(ctx, nil)
		rep = r
		done <- err
	}()
	<-op.started
	cancel()
	select {
	case d := <-clock.long:
		if d < time.Hour {
			t.Errorf("the engine waits %s for the operation to stop, less than its hour", d)
		}
		close(op.release)
	case <-done:
		close(op.release)
		t.Fatalf("the run ended without waiting for the operation's stop time:\n%s", dump(rep))
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if a := stepOf(t, rep, "a"); a.Abandoned || a.Status != "cancelled" {
		t.Errorf("step a: %s, abandoned %v, want cancelled and not abandoned", a.Status, a.Abandoned)
	}
}
