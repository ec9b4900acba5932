package engine

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// slowPoll answers its first call at once, with {"state": "rolling"},
// and holds every later call until its context ends: a poll whose
// repeat.timeout runs out while an attempt runs.
type slowPoll struct {
	mu sync.Mutex
	n  int
}

func (p *slowPoll) register(r *ops.Registry) {
	r.MustRegister(ops.Spec{Name: "test.slowpoll", Risk: ops.RiskRead}, ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		if n == 1 {
			return map[string]any{"state": "rolling"}, nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}))
}

// TestRepeatTimeoutDuringAnAttemptKeepsTheLastOutput: when repeat.timeout
// runs out while an attempt runs, the step keeps the output repeat.until
// was last false for, which an on_failure step reads to say where the
// wait stopped, and its error counts the attempts that were judged and
// names the one cut short.
func TestRepeatTimeoutDuringAnAttemptKeepsTheLastOutput(t *testing.T) {
	e := New(registry(t, (&slowPoll{}).register))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: wait
    op: test.slowpoll
    repeat: {until: output.state == "done", every: 1ms, timeout: 1s}
on_failure:
  - id: why
    op: control.set
    with: {state: "${{ steps.wait.output?.state ?? 'unknown' }}"}
`), nil)
	w := stepOf(t, rep, "wait")
	if w.Status != report.StatusFailed || w.Error == nil || w.Error.Class != string(ops.ClassTimeout) {
		t.Fatalf("wait: %s %+v, want failed with class timeout", w.Status, w.Error)
	}
	const want = "repeat.until (output.state == \"done\") still false after 1 attempt: repeat.timeout of 1s exceeded during attempt 2"
	if w.Error.Message != want {
		t.Errorf("error %q, want %q", w.Error.Message, want)
	}
	if diff := cmp.Diff(map[string]any{"state": "rolling"}, w.Output); diff != "" {
		t.Errorf("wait's output (-want +got):\n%s", diff)
	}
	if got := stepOf(t, rep, "why").Output; !strings.Contains(Stringify(got), "rolling") {
		t.Errorf("on_failure read %v, want the state of the last attempt judged", got)
	}
}

// TestRepeatTimeoutDuringTheFirstAttempt: a timeout that cuts the first
// attempt short says repeat.until was never evaluated.
func TestRepeatTimeoutDuringTheFirstAttempt(t *testing.T) {
	p := &slowPoll{n: 1} // every call holds
	e := New(registry(t, p.register))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: wait
    op: test.slowpoll
    repeat: {until: output.state == "done", every: 1ms, timeout: 50ms}
`), nil)
	w := stepOf(t, rep, "wait")
	const want = "repeat.timeout of 50ms exceeded during attempt 1, before repeat.until (output.state == \"done\") could be evaluated"
	if w.Status != report.StatusFailed || w.Error == nil || w.Error.Class != string(ops.ClassTimeout) || w.Error.Message != want {
		t.Errorf("wait: %s %+v, want failed: %s", w.Status, w.Error, want)
	}
}

// TestRepeatCutByThePlaybookTimeout: the playbook's timeout running out
// while a step repeats says how far the repeat got after its cause, as
// repeat.timeout does, and the step keeps the output repeat.until was
// last false for.
func TestRepeatCutByThePlaybookTimeout(t *testing.T) {
	e := New(registry(t, (&slowPoll{}).register))
	rep := mustRun(t, plan(t, e, header+`
timeout: 100ms
steps:
  - id: wait
    op: test.slowpoll
    repeat: {until: output.state == "done", every: 1ms, timeout: 1m}
`), nil)
	w := stepOf(t, rep, "wait")
	const want = "playbook timeout of 100ms exceeded: repeat.until (output.state == \"done\") still false after 1 attempt, attempt 2 cut short"
	if w.Status != report.StatusFailed || w.Error == nil || w.Error.Class != string(ops.ClassTimeout) || w.Error.Message != want {
		t.Errorf("wait: %s %+v, want failed with class timeout: %s", w.Status, w.Error, want)
	}
	if diff := cmp.Diff(map[string]any{"state": "rolling"}, w.Output); diff != "" {
		t.Errorf("wait's output (-want +got):\n%s", diff)
	}
}
