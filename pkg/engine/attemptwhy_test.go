package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// exitsThenPasses registers test.exits, which ends like a process that
// exits 7 on its first two calls (its output's exit_code with an error)
// and 0 after, and test.huge, which always fails with a 60 KB message.
func exitsThenPasses(r *ops.Registry) {
	var mu sync.Mutex
	calls := 0
	r.MustRegister(ops.Spec{Name: "test.exits", Risk: ops.RiskRead}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 {
			return map[string]any{"exit_code": 7}, errors.New("exit code 7 is not in ok_codes [0]; stderr ends with:\nconnection refused")
		}
		return map[string]any{"exit_code": 0}, nil
	}))
	r.MustRegister(ops.Spec{Name: "test.huge", Risk: ops.RiskRead}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		return nil, errors.New("first line\n" + strings.Repeat("x", 60<<10) + "\nlast line")
	}))
}

// TestAttemptLogSaysWhyEachTryWasNotTheLast: each entry of an attempt log
// says how its try ended, the exit code of the process it ran, and, for a
// try that succeeded but was tried again, the retry.until it left false;
// a page showing a step that passed on its third try can so say why the
// first two did not count.
func TestAttemptLogSaysWhyEachTryWasNotTheLast(t *testing.T) {
	e := New(registry(t, exitsThenPasses), WithClock(&skipClock{}))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: flaky
    op: test.exits
    retry: {attempts: 5, delay: 1s}
  - id: poll
    op: control.noop
    retry: {attempts: 3, delay: 1s, until: attempt >= 2}
  - id: never
    op: control.noop
    retry: {attempts: 2, delay: 1s, until: attempt > 5}
    continue_on_error: true
  - id: wait
    op: control.noop
    repeat: {until: attempt >= 2, every: 1s, timeout: 1h}
`), nil)
	seven, zero := 7, 0
	exec := &report.Error{Class: "execution", Message: "exit code 7 is not in ok_codes [0]; stderr ends with:\nconnection refused"}
	want := map[string][]report.Attempt{
		"flaky": {
			{Attempt: 1, Status: report.StatusFailed, ExitCode: &seven, Error: exec},
			{Attempt: 2, Status: report.StatusFailed, ExitCode: &seven, Error: exec},
			{Attempt: 3, Status: report.StatusSucceeded, ExitCode: &zero},
		},
		"poll": {
			{Attempt: 1, Status: report.StatusSucceeded, Reason: "retry.until (attempt >= 2) is false"},
			{Attempt: 2, Status: report.StatusSucceeded},
		},
		"never": {
			{Attempt: 1, Status: report.StatusSucceeded, Reason: "retry.until (attempt > 5) is false"},
			{Attempt: 2, Status: report.StatusSucceeded, Reason: "retry.until (attempt > 5) is false"},
		},
		"wait": {
			{Attempt: 1, Status: report.StatusSucceeded, Reason: "repeat.until (attempt >= 2) is false"},
			{Attempt: 2, Status: report.StatusSucceeded},
		},
	}
	for id, w := range want {
		got := stepOf(t, rep, id).AttemptLog
		if diff := cmp.Diff(w, got, cmpopts.IgnoreFields(report.Attempt{}, "StartedAt", "DurationMS")); diff != "" {
			t.Errorf("%s: attempt log (-want +got):\n%s", id, diff)
		}
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	validateReport(t, schematest.Compile(t, "report"), "a report whose attempts say why", js)
}

// TestAttemptLogCutsLongMessages: an attempt log keeps each try's error
// message to report.MaxAttemptMessage, head and tail, while the step's
// own error keeps the last try's whole: 60 KB messages made a step tried
// 100 times cost 3 MB of report, and a fan-out of 40 such items 130 MB.
func TestAttemptLogCutsLongMessages(t *testing.T) {
	e := New(registry(t, exitsThenPasses), WithClock(&skipClock{}))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: huge
    op: test.huge
    retry: {attempts: 100, delay: 1s}
    continue_on_error: true
  - id: fan
    op: test.huge
    foreach: ${{ 1..40 }}
    fail_fast: false
    retry: {attempts: 100, delay: 1s}
`), nil)
	huge := stepOf(t, rep, "huge")
	if len(huge.AttemptLog) != AttemptLogFirst+AttemptLogLast {
		t.Fatalf("huge: %d attempts kept", len(huge.AttemptLog))
	}
	for _, a := range huge.AttemptLog {
		m := a.Error.Message
		if len(m) > report.MaxAttemptMessage+64 || !strings.HasPrefix(m, "first line") || !strings.HasSuffix(m, "last line") {
			t.Fatalf("huge: attempt %d keeps %d bytes, %.40q…%.40q; want at most %d, head and tail", a.Attempt, len(m), m, m[max(len(m)-40, 0):], report.MaxAttemptMessage)
		}
	}
	if len(huge.Error.Message) < 60<<10 {
		t.Errorf("huge: the step's error keeps %d bytes; want the last try's whole", len(huge.Error.Message))
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	// 41 logs of 50 entries of about 1 KiB, and 41 errors of 60 KB.
	if len(js) > 8<<20 {
		t.Errorf("the report is %d bytes; want at most 8 MiB", len(js))
	}
}
