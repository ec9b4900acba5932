package runs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// An execute ends when its caller goes, with the caller's reason, and
// when the manager's shutdown gives up waiting, with the shutdown's.
func TestExecuteOpEndsWithCallerOrShutdown(t *testing.T) {
	started := make(chan struct{}, 1)
	newReg := func(t *testing.T) *ops.Registry {
		reg := newRegistry(t)
		reg.MustRegister(ops.Spec{Name: "test.wait", Risk: ops.RiskRead}, ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}))
		return reg
	}
	sleep := OpRequest{Op: "test.wait", Caller: Caller{Roles: []string{"admin"}}}
	run := func(m *Manager, ctx context.Context) <-chan *OpResult {
		ch := make(chan *OpResult, 1)
		go func() {
			res, err := m.ExecuteOp(ctx, sleep)
			if err != nil {
				t.Error(err)
			}
			ch <- res
		}()
		return ch
	}
	wait := func(ch <-chan *OpResult) *OpResult {
		select {
		case res := <-ch:
			if res == nil {
				t.FailNow()
			}
			return res
		case <-time.After(30 * time.Second):
			t.Fatal("the execute did not end")
			return nil
		}
	}

	t.Run("caller", func(t *testing.T) {
		m := newManager(t, Config{Registry: newReg(t)}, Limits{})
		ctx, cancel := context.WithCancelCause(context.Background())
		ch := run(m, ctx)
		<-started
		cancel(errors.New("the client went away"))
		res := wait(ch)
		if res.Status != report.StatusCancelled || res.Error == nil || !strings.Contains(res.Error.Message, "the client went away") {
			t.Errorf("status %s, error %+v; want cancelled, with the caller's reason", res.Status, res.Error)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		m := newManager(t, Config{Registry: newReg(t)}, Limits{})
		ch := run(m, context.Background())
		<-started
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // no grace: cancel what runs
		if err := m.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Shutdown: %v", err)
		}
		res := wait(ch)
		if res.Status != report.StatusCancelled || res.Error == nil || !strings.Contains(res.Error.Message, (stopping{}).Error()) {
			t.Errorf("status %s, error %+v; want cancelled, with the shutdown's reason", res.Status, res.Error)
		}
	})
}

// An execute's caller may say what its end means: the cause it ends with
// when its context ends first is the caller's, and the values of the
// context stay with the call.
func TestExecuteOpEndCause(t *testing.T) {
	type key struct{}
	seen := make(chan any, 1)
	started := make(chan struct{}, 1)
	reg := newRegistry(t)
	reg.MustRegister(ops.Spec{Name: "test.wait", Risk: ops.RiskRead}, ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
		seen <- ctx.Value(key{})
		started <- struct{}{}
		<-ctx.Done()
		return nil, context.Cause(ctx)
	}))
	m := newManager(t, Config{Registry: reg}, Limits{})
	gone := ops.WithClass(ops.ClassCancelled, errors.New("the caller went away"))
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "kept"))
	ch := make(chan *OpResult, 1)
	go func() {
		res, err := m.ExecuteOp(ctx, OpRequest{Op: "test.wait", Caller: Caller{Roles: []string{"admin"}},
			EndCause: func(c context.Context) error {
				if c != ctx {
					t.Errorf("EndCause was given another context")
				}
				return gone
			}})
		if err != nil {
			t.Error(err)
		}
		ch <- res
	}()
	<-started
	if v := <-seen; v != "kept" {
		t.Errorf("the call's context has value %v, want the caller's", v)
	}
	cancel()
	select {
	case res := <-ch:
		if res == nil || res.Status != report.StatusCancelled || res.Error == nil || !strings.Contains(res.Error.Message, "the caller went away") {
			t.Fatalf("result %+v; want cancelled with EndCause's cause", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the execute did not end")
	}
}

// An execute whose context is made after Shutdown gave up waiting ends
// at once, with the shutdown's cause, and a tracked one is forgotten
// when it ends.
func TestTrackExecAfterShutdownGaveUp(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	h := newHandle("20261207T000000-0000000000000000", &Request{})
	ctx, cancel, stop := bindOp(context.Background(), nil)
	m.stop(ops.WithClass(ops.ClassCancelled, stopping{}))
	m.trackExec(h, cancel)
	if !errors.Is(context.Cause(ctx), stopping{}) {
		t.Errorf("cause %v; want the shutdown's", context.Cause(ctx))
	}
	m.untrackExec(h, cancel, stop)
	m.mu.Lock()
	n := len(m.execs)
	m.mu.Unlock()
	if n != 0 {
		t.Errorf("%d executes still tracked after the last ended", n)
	}
}
