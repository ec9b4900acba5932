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
