package engine

import (
	"context"
	"testing"
)

// TestChainBuiltOncePerEngine holds the call chain to one build per
// engine: the API plans a one-step playbook for every execute, and
// building the chain again for each plan cost a dozen allocations. Every
// plan of the engine still calls through the middleware.
func TestChainBuiltOncePerEngine(t *testing.T) {
	built, called := 0, 0
	mw := func(next Handler) Handler {
		built++
		return func(ctx context.Context, c *Call) (map[string]any, error) {
			called++
			return next(ctx, c)
		}
	}
	e := New(registry(t), WithMiddleware(mw), WithAttemptMiddleware(mw))
	for range 3 {
		mustRun(t, plan(t, e, noopChain(1)), nil)
	}
	if built != 2 {
		t.Errorf("the middleware was built %d times for three plans of one engine, want 2 (once each)", built)
	}
	if called != 6 {
		t.Errorf("the middleware was called %d times for three runs of one step, want 6", called)
	}
}

// TestPlanAllocs bounds what planning a one-step playbook costs, paid by
// every execute of the API: the plan, its node and its indexes, with the
// engine's call chain shared.
func TestPlanAllocs(t *testing.T) {
	e := New(registry(t))
	pb := plan(t, e, noopChain(1)).Playbook()
	got := testing.AllocsPerRun(100, func() { e.Plan(pb) })
	t.Logf("%.0f allocations a plan", got)
	if got > planAllocs {
		t.Errorf("planning one step made %.0f allocations, more than the %d budgeted", got, planAllocs)
	}
}

// planAllocs is the budget of planning one step, the same under the race
// detector; 12 when each plan built the call chain again.
const planAllocs = 7
