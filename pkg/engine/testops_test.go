package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// testOps registers operations that misbehave on purpose.
type testOps struct {
	mu      sync.Mutex
	order   []string
	tries   map[string]int
	running atomic.Int32
	maxSeen atomic.Int32
	release chan struct{} // closed by the test to free a stuck op
	writes  atomic.Int32
}

func newTestOps() *testOps {
	return &testOps{tries: map[string]int{}, release: make(chan struct{})}
}

func (t *testOps) register(r *ops.Registry) {
	r.MustRegister(ops.Spec{Name: "test.record", Risk: ops.RiskRead, Params: []ops.Param{{Name: "label", Type: ops.TypeString}}},
		ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
			t.mu.Lock()
			t.order = append(t.order, ops.CallFrom(ctx).Step)
			t.mu.Unlock()
			return map[string]any{"label": p.String("label")}, nil
		}))
	// test.flaky fails until its fails_before-th try for the same key.
	r.MustRegister(ops.Spec{Name: "test.flaky", Risk: ops.RiskRead, Params: []ops.Param{
		{Name: "key", Type: ops.TypeString, Required: true},
		{Name: "fails", Type: ops.TypeInteger, Default: 0},
	}}, ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
		t.mu.Lock()
		t.tries[p.String("key")]++
		n := t.tries[p.String("key")]
		t.mu.Unlock()
		if n <= p.Int("fails") {
			return nil, errors.New("flaky failure")
		}
		return map[string]any{"try": n}, nil
	}))
	r.MustRegister(ops.Spec{Name: "test.panic", Risk: ops.RiskRead},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { panic("boom") }))
	// test.panic_with panics with a value that quotes its param.
	r.MustRegister(ops.Spec{Name: "test.panic_with", Risk: ops.RiskRead, Params: []ops.Param{{Name: "token", Type: ops.TypeString}}},
		ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
			panic("cannot use token " + p.String("token"))
		}))
	// test.stuck ignores its context until the test releases it.
	r.MustRegister(ops.Spec{Name: "test.stuck", Risk: ops.RiskRead},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
			<-t.release
			return map[string]any{}, nil
		}))
	// test.busy counts how many run at once, waiting for the context or
	// a short while.
	r.MustRegister(ops.Spec{Name: "test.busy", Risk: ops.RiskRead, Params: []ops.Param{{Name: "fail", Type: ops.TypeBool}, {Name: "wait", Type: ops.TypeDuration, Default: "5ms"}}},
		ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
			n := t.running.Add(1)
			defer t.running.Add(-1)
			for {
				m := t.maxSeen.Load()
				if n <= m || t.maxSeen.CompareAndSwap(m, n) {
					break
				}
			}
			if p.Bool("fail") {
				return nil, errors.New("busy failure")
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-sleep(p.Duration("wait")):
			}
			return map[string]any{}, nil
		}))
	r.MustRegister(ops.Spec{Name: "test.write", Risk: ops.RiskWrite, Params: []ops.Param{{Name: "env", Type: ops.TypeMap}}},
		ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
			t.writes.Add(1)
			return map[string]any{"env": p.Map("env")}, nil
		}))
	// test.spew returns a fresh string of size bytes, like a process that
	// printed that much, and writes lines lines of live output.
	r.MustRegister(ops.Spec{Name: "test.spew", Risk: ops.RiskRead, StreamsOutput: true, Params: []ops.Param{{Name: "size", Type: ops.TypeInteger, Default: 0}, {Name: "lines", Type: ops.TypeInteger, Default: 0}}},
		ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
			if w := ops.CallFrom(ctx).Output; w != nil {
				for i := range p.Int("lines") {
					fmt.Fprintf(w, "line %d\n", i)
				}
			}
			return map[string]any{"exit_code": 3, "stdout": strings.Repeat("x", p.Int("size")-4) + "tail"}, nil
		}))
	// test.heap reports the live heap after a collection: what the run
	// holds at that point.
	r.MustRegister(ops.Spec{Name: "test.heap", Risk: ops.RiskRead},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return map[string]any{"heap_mib": int(m.HeapAlloc >> 20)}, nil
		}))
	r.MustRegister(ops.Spec{Name: "test.secret", Risk: ops.RiskRead, SecretOutputs: []string{"token"}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
			return map[string]any{"token": "generated-token-123"}, nil
		}))
}
