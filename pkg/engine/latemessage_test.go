package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestLateMessages: an operation's message function outlives its step (a
// supervisor tells of restarts of the process it started): a message
// while the run goes on is one of its log events, of the step that kept
// it; one after the run finished is dropped, not sent after
// run_finished to observers that are done with the run.
func TestLateMessages(t *testing.T) {
	var kept func(level, text string)
	e := New(registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.keep", Risk: ops.RiskRead}, ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
			kept = ops.CallFrom(ctx).Message
			return nil, nil
		}))
		r.MustRegister(ops.Spec{Name: "test.later", Risk: ops.RiskRead}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
			kept("warn", "said while the run goes on")
			return nil, nil
		}))
	}))
	var mu sync.Mutex
	var events []Event
	obs := ObserverFunc(func(ev Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	})
	mustRun(t, plan(t, e, header+`
steps:
  - id: a
    op: test.keep
  - id: b
    op: test.later
    needs: [a]
`), nil, WithRunObserver(obs))
	kept("warn", "said after the run")
	mu.Lock()
	defer mu.Unlock()
	var logs []Event
	for _, ev := range events {
		if ev.Kind == EventLog {
			logs = append(logs, ev)
		}
	}
	if len(logs) != 1 || logs[0].Step != "a" || logs[0].Message != "said while the run goes on" {
		t.Errorf("log events %+v, want the one said while the run went on, of step a", logs)
	}
	if last := events[len(events)-1]; last.Kind != EventRunFinished {
		t.Errorf("the last event is %s, want run_finished", last.Kind)
	}
}
