package engine

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// twinOps registers each test operation twice: NAME_i Immediate, called
// in the step's goroutine, and NAME_g without, called in a goroutine of
// its own, so that a test can run one playbook with each and compare.
type twinOps struct {
	mu     sync.Mutex
	cancel context.CancelCauseFunc // the run's, for test.cancel
	inStep map[string]bool         // by op: whether its stack went back to the run's call
}

func (t *twinOps) register(r *ops.Registry) {
	for _, suffix := range []string{"_i", "_g"} {
		imm := suffix == "_i"
		r.MustRegister(ops.Spec{Name: "test.boom" + suffix, Risk: ops.RiskRead, Immediate: imm},
			ops.Func(func(context.Context, ops.Params) (map[string]any, error) { panic("boom") }))
		// test.cancel cancels the run, and succeeds, or with fail returns
		// what its context says, without waiting for anything.
		r.MustRegister(ops.Spec{Name: "test.cancel" + suffix, Risk: ops.RiskRead, Immediate: imm,
			Params: []ops.Param{{Name: "fail", Type: ops.TypeBool}}},
			ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
				t.mu.Lock()
				cancel := t.cancel
				t.mu.Unlock()
				cancel(errors.New("interrupted by SIGINT"))
				if p.Bool("fail") {
					return nil, context.Cause(ctx)
				}
				return map[string]any{"cancelled": true}, nil
			}))
		name := "test.where" + suffix
		r.MustRegister(ops.Spec{Name: name, Risk: ops.RiskRead, Immediate: imm},
			ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
				buf := make([]byte, 64<<10)
				stack := string(buf[:runtime.Stack(buf, false)])
				t.mu.Lock()
				t.inStep[name] = strings.Contains(stack, "engine.(*run).once(")
				t.mu.Unlock()
				return map[string]any{}, nil
			}))
	}
}

func newTwinEngine(t *testing.T) (*Engine, *twinOps) {
	t.Helper()
	to := newTestOps()
	t.Cleanup(func() { close(to.release) })
	tw := &twinOps{inStep: map[string]bool{}}
	return New(registry(t, to.register, tw.register)), tw
}

// TestImmediateOpRunsInStepGoroutine: an Immediate operation is called
// in the goroutine of its step, under the run's call of the chain, rather than in
// one of its own, which costs a goroutine, a channel and a copy of the
// call; other operations keep theirs.
func TestImmediateOpRunsInStepGoroutine(t *testing.T) {
	e, tw := newTwinEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: test.where_i}
  - {id: b, op: test.where_g}
`), nil)
	if rep.Status != "succeeded" {
		t.Fatalf("run %s:\n%s", rep.Status, dump(rep))
	}
	want := map[string]bool{"test.where_i": true, "test.where_g": false}
	if diff := cmp.Diff(want, tw.inStep); diff != "" {
		t.Errorf("called in the step's goroutine (-want +got):\n%s", diff)
	}
}

// TestImmediateOpReportsAsGuarded: what a run of an Immediate operation
// reports (statuses, errors, the panic's log event, what a cancellation
// does to the steps after) is what it reports of the same operation
// called in a goroutine of its own.
func TestImmediateOpReportsAsGuarded(t *testing.T) {
	tests := []struct {
		name, src string
		want      report.Status // the run's, as a check that the case does what it says
	}{
		{"a panic is a system error", `
steps:
  - {id: a, op: test.boom_X}
  - {id: b, op: control.noop}
on_failure:
  - {id: h, op: control.noop}
`, "failed"},
		{"a panic of an item", `
steps:
  - {id: a, op: test.boom_X, foreach: 0..2, concurrency: 1}
`, "failed"},
		{"a step that cancels its run succeeds, the next is cancelled", `
steps:
  - {id: a, op: test.cancel_X}
  - {id: b, op: control.noop}
finally:
  - {id: f, op: control.noop}
`, "cancelled"},
		{"a step that returns its cancelled context's cause", `
steps:
  - {id: a, op: test.cancel_X, with: {fail: true}, timeout: 1m}
  - {id: b, op: control.noop}
finally:
  - {id: f, op: control.log, with: {message: done}}
`, "cancelled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]string
			for i, suffix := range []string{"_i", "_g"} {
				e, tw := newTwinEngine(t)
				ctx, cancel := context.WithCancelCause(context.Background())
				defer cancel(nil)
				tw.cancel = cancel
				var mu sync.Mutex
				var logs []string
				obs := ObserverFunc(func(ev Event) {
					if ev.Kind == EventLog {
						mu.Lock()
						defer mu.Unlock()
						logs = append(logs, ev.Step+": "+ev.Level+" "+ev.Message)
					}
				})
				rep, err := plan(t, e, header+strings.ReplaceAll(tc.src, "_X", suffix)).Run(ctx, nil, WithRunObserver(obs))
				if err != nil {
					t.Fatal(err)
				}
				if rep.Status != tc.want {
					t.Fatalf("%s: run %s, want %s:\n%s", suffix, rep.Status, tc.want, dump(rep))
				}
				mu.Lock()
				got[i] = strings.ReplaceAll(view(t, rep)+"\nlogs: "+strings.Join(logs, "\n"), suffix, "_X")
				mu.Unlock()
			}
			if diff := cmp.Diff(got[1], got[0]); diff != "" {
				t.Errorf("Immediate (+) against in a goroutine (-):\n%s", diff)
			}
		})
	}
}

// view is what a report says of its run and steps, without what differs
// from one run to the next (times, ids, digests).
func view(t *testing.T, rep *report.Report) string {
	t.Helper()
	type item struct {
		Index  int
		Status report.Status
		Error  *report.Error
	}
	type step struct {
		ID, Reason string
		Status     report.Status
		Error      *report.Error
		Output     any
		Attempts   int
		Abandoned  bool
		Items      []item
	}
	v := struct {
		Status report.Status
		Error  *report.Error
		Steps  []step
	}{Status: rep.Status, Error: rep.Error}
	for _, s := range rep.Steps {
		st := step{ID: s.ID, Reason: s.Reason, Status: s.Status, Error: s.Error, Output: s.Output, Attempts: s.Attempts, Abandoned: s.Abandoned}
		for _, it := range s.Items {
			st.Items = append(st.Items, item{Index: it.Index, Status: it.Status, Error: it.Error})
		}
		v.Steps = append(v.Steps, st)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
