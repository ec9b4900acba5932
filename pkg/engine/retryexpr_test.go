package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRetryExprErrorKeepsAttemptError checks that a retry.when that cannot
// be evaluated (output.status when the attempt gave no output) stops the
// retries without hiding why the attempt failed: the step keeps the
// attempt's class and message, and the message says what the expression
// did and how to guard it. A retry.until that cannot be evaluated keeps
// the attempt's output.
func TestRetryExprErrorKeepsAttemptError(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: when
    op: test.flaky
    with: {key: when, fails: 5}
    retry: {attempts: 3, delay: 1ms, when: output.status == 503 || error.class == "execution"}
    continue_on_error: true
  - id: until
    op: test.flaky
    with: {key: until}
    retry: {attempts: 3, delay: 1ms, until: output.body.ready == true}
    continue_on_error: true
`), nil)
	w := stepOf(t, rep, "when")
	if w.Status != report.StatusFailed || w.Error == nil || w.Attempts != 1 {
		t.Fatalf("when: %s after %d attempts, %+v", w.Status, w.Attempts, w.Error)
	}
	if w.Error.Class != "execution" {
		t.Errorf("when: class %s, want the attempt's, execution", w.Error.Class)
	}
	for _, part := range []string{"flaky failure", "retry.when could not be evaluated", "output is null, so it has no field status", "output?.status"} {
		if !strings.Contains(w.Error.Message, part) {
			t.Errorf("when: message %q lacks %q", w.Error.Message, part)
		}
	}

	u := stepOf(t, rep, "until")
	if u.Status != report.StatusFailed || u.Error == nil || u.Error.Class != "validation" || u.Attempts != 1 {
		t.Fatalf("until: %s after %d attempts, %+v", u.Status, u.Attempts, u.Error)
	}
	for _, part := range []string{"retry.until could not be evaluated", "output.body is null, so it has no field ready", "output.body?.ready"} {
		if !strings.Contains(u.Error.Message, part) {
			t.Errorf("until: message %q lacks %q", u.Error.Message, part)
		}
	}
	if diff := cmp.Diff(map[string]any{"try": 1}, u.Output); diff != "" {
		t.Errorf("until: output (-want +got):\n%s", diff)
	}
}

// TestFanOutRetryLineNamesItsItem: a fan-out's "retrying" log line says
// which item is tried again.
func TestFanOutRetryLineNamesItsItem(t *testing.T) {
	var logs bytes.Buffer
	e, _ := newEngine(t, WithLog(&logs, zerolog.InfoLevel))
	p := plan(t, e, header+`
steps:
  - id: fan
    op: control.assert
    foreach: '["up", "down"]'
    with: {that: '${{ item == "up" }}', message: "${{ item }} is down"}
    retry: {attempts: 2, delay: 1ms}
`)
	mustRun(t, p, nil)
	var found bool
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"message":"retrying"`) {
			found = true
			if !strings.Contains(line, `"item":1`) {
				t.Errorf("retry line without its item: %s", line)
			}
		}
	}
	if !found {
		t.Errorf("no retry line:\n%s", logs.String())
	}
}

// TestRetryDelayInDaysSaysTheHours: a delay computed as 1d, as op params
// take it, is refused at run time with the hours to give instead.
func TestRetryDelayInDaysSaysTheHours(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
vars: {wait: 1d}
steps:
  - id: s
    op: test.flaky
    with: {key: days, fails: 5}
    retry: {attempts: 2, delay: "${{ vars.wait }}"}
    continue_on_error: true
`), nil)
	s := stepOf(t, rep, "s")
	if s.Error == nil || !strings.Contains(s.Error.Message, "retry.delay: `vars.wait` gave \"1d\", and days and weeks are no unit of a duration here; give 24h") {
		t.Fatalf("error: %+v", s.Error)
	}
}
