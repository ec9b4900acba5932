package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// cancelAtRetry runs p and cancels it, with cause, as its first retry
// event comes: while the step waits before its second attempt.
func cancelAtRetry(t *testing.T, p *Plan, cause error) *report.Report {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventRetry {
			cancel(cause)
		}
	})
	rep, err := p.Run(ctx, nil, WithRunObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// cancelAtStart runs p and cancels it as its step id starts.
func cancelAtStart(t *testing.T, p *Plan, id string) *report.Report {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventStepStarted && ev.Step == id {
			cancel()
		}
	})
	rep, err := p.Run(ctx, nil, WithRunObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCancelDuringBackoffSaysTheWaitWasCut: a run cancelled while a step
// waits to try again ends the step cancelled, with an error that tells
// the cut wait from the attempt's own failure, which it still quotes.
func TestCancelDuringBackoffSaysTheWaitWasCut(t *testing.T) {
	e, _ := newEngine(t)
	rep := cancelAtRetry(t, plan(t, e, header+`
steps:
  - id: a
    op: control.fail
    with: {message: boom}
    retry: {attempts: 3, delay: 5m}
`), errors.New("stopped by the operator"))
	a := stepOf(t, rep, "a")
	const want = "stopped by the operator: while waiting to retry after attempt 1 failed: boom"
	if a.Status != report.StatusCancelled || a.Error == nil || a.Error.Class != string(ops.ClassCancelled) || a.Error.Message != want {
		t.Errorf("a: %s %+v, want cancelled: %s", a.Status, a.Error, want)
	}
}

// TestCancelDuringUntilBackoffIsCancelled: cancelled while it waits to try
// again a step whose attempt succeeded but whose retry.until is false, a
// step is cancelled like any other, whatever the cancellation's cause,
// not failed with the cause for its error.
func TestCancelDuringUntilBackoffIsCancelled(t *testing.T) {
	e, _ := newEngine(t)
	rep := cancelAtRetry(t, plan(t, e, header+`
steps:
  - id: a
    op: control.noop
    retry: {attempts: 3, delay: 5m, until: attempt > 2}
`), errors.New("stopped by the operator"))
	a := stepOf(t, rep, "a")
	const want = "stopped by the operator: while waiting to try again: retry.until (attempt > 2) is false"
	if a.Status != report.StatusCancelled || a.Error == nil || a.Error.Class != string(ops.ClassCancelled) || a.Error.Message != want {
		t.Errorf("a: %s %+v, want cancelled: %s", a.Status, a.Error, want)
	}
	if rep.Status != report.StatusCancelled {
		t.Errorf("run %s, want cancelled", rep.Status)
	}
}

// TestCancelAsAnUntilAttemptEndsIsCancelled: a run cancelled while an
// attempt runs that then succeeds, but with retry.until false and tries
// left, ends the step cancelled: it did not run out of tries, it was
// stopped.
func TestCancelAsAnUntilAttemptEndsIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	e := New(registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.stop_run", Risk: ops.RiskRead}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
			cancel(errors.New("stopped by the operator"))
			return map[string]any{"ready": false}, nil
		}))
	}))
	rep, err := plan(t, e, header+`
steps:
  - id: a
    op: test.stop_run
    retry: {attempts: 3, until: output.ready}
`).Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := stepOf(t, rep, "a")
	const want = "stopped by the operator: retry.until (output.ready) was false after attempt 1, and the step could not try again"
	if a.Status != report.StatusCancelled || a.Error == nil || a.Error.Class != string(ops.ClassCancelled) || a.Error.Message != want {
		t.Errorf("a: %s %+v, want cancelled: %s", a.Status, a.Error, want)
	}
}

// TestUntilFalseAfterOneAttempt: a step with retry.until and one attempt
// says so in the singular.
func TestUntilFalseAfterOneAttempt(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: a
    op: control.noop
    retry: {until: "false"}
`), nil)
	const want = "retry.until (false) still false after 1 attempt"
	if a := stepOf(t, rep, "a"); a.Error == nil || a.Error.Message != want {
		t.Errorf("a: %+v, want %q", a.Error, want)
	}
}
