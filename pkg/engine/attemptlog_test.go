package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// skipClock is a clock whose waits end at once and move its time on by
// their length: a repeat every 1s of thousands of attempts takes no time,
// and its report reads as if it had.
type skipClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *skipClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *skipClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// alternate registers test.alternate, which fails every other call, the
// first included.
func alternate(r *ops.Registry) {
	var mu sync.Mutex
	calls := 0
	r.MustRegister(ops.Spec{Name: "test.alternate", Risk: ops.RiskRead}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls%2 == 1 {
			return nil, errors.New("odd call")
		}
		return map[string]any{"call": calls}, nil
	}))
}

func attemptNumbers(log []report.Attempt) []int {
	var n []int
	for _, a := range log {
		n = append(n, a.Attempt)
	}
	return n
}

// keptNumbers are the attempt numbers a log of total attempts keeps: the
// first AttemptLogFirst and the last AttemptLogLast.
func keptNumbers(total int) []int {
	var n []int
	for i := 1; i <= AttemptLogFirst; i++ {
		n = append(n, i)
	}
	for i := total - AttemptLogLast + 1; i <= total; i++ {
		n = append(n, i)
	}
	return n
}

// TestRepeatOfThousandsOfAttemptsKeepsABoundedLog: a repeat of 5,000
// attempts (one every 1s, as a wait for a backup would make them) keeps
// the first 10 and the last 40 in its attempt log and counts the 4,950
// between; attempts stays the true total, for a step and for each item
// of a fan-out. The JSON, HTML, JUnit and Markdown reports and the
// history's rows stay small, the report matches its schema, and the
// history's rows count every attempt with its outcome.
func TestRepeatOfThousandsOfAttemptsKeepsABoundedLog(t *testing.T) {
	clock := &skipClock{now: time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)}
	e := New(registry(t, newTestOps().register, alternate), WithClock(clock))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: wait
    op: control.noop
    repeat: {until: attempt >= 5000, every: 1s, timeout: 24h}
  - id: fan
    op: control.noop
    foreach: ${{ [1, 2] }}
    repeat: {until: attempt >= 1000, every: 1s, timeout: 24h}
  - id: flappy
    op: test.alternate
    retry: {attempts: 2, delay: 1s}
    repeat: {until: attempt >= 2500, every: 1s, timeout: 24h}
`), nil)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s:\n%s", rep.Status, dump(rep))
	}
	check := func(what string, attempts int, log []report.Attempt, omitted, failed, wantTotal, wantFailed int) {
		t.Helper()
		if attempts != wantTotal || omitted != wantTotal-AttemptLogFirst-AttemptLogLast || failed != wantFailed {
			t.Errorf("%s: attempts %d, attempts_omitted %d, attempts_omitted_failed %d; want %d, %d, %d",
				what, attempts, omitted, failed, wantTotal, wantTotal-AttemptLogFirst-AttemptLogLast, wantFailed)
		}
		if diff := cmp.Diff(keptNumbers(wantTotal), attemptNumbers(log)); diff != "" {
			t.Errorf("%s: the attempts kept (-want +got):\n%s", what, diff)
		}
	}
	wait := stepOf(t, rep, "wait")
	check("wait", wait.Attempts, wait.AttemptLog, wait.AttemptsOmitted, wait.AttemptsOmittedFailed, 5000, 0)
	if last := wait.AttemptLog[len(wait.AttemptLog)-1]; last.StartedAt.Sub(wait.AttemptLog[0].StartedAt) != 4999*time.Second {
		t.Errorf("the last attempt kept started %s after the first; want 4999s: the last kept are not the last made", last.StartedAt.Sub(wait.AttemptLog[0].StartedAt))
	}
	fan := stepOf(t, rep, "fan")
	for _, it := range fan.Items {
		check("fan item", it.Attempts, it.AttemptLog, it.AttemptsOmitted, it.AttemptsOmittedFailed, 1000, 0)
	}
	// Each repeat attempt fails once and succeeds on its retry: 5,000
	// attempts, the odd ones failed, 2,475 of them among 11..4960.
	flappy := stepOf(t, rep, "flappy")
	check("flappy", flappy.Attempts, flappy.AttemptLog, flappy.AttemptsOmitted, flappy.AttemptsOmittedFailed, 5000, 2475)

	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	validateReport(t, schematest.Compile(t, "report"), "a report of omitted attempts", js)
	var html, junit, md bytes.Buffer
	if err := report.WriteHTML(&html, rep); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJUnit(&junit, rep); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	// 14,000 attempts in all: a few hundred bytes each, kept, would be
	// megabytes.
	for name, n := range map[string]int{"JSON": len(js), "HTML": html.Len(), "JUnit": junit.Len(), "Markdown": md.Len()} {
		if n > 200<<10 {
			t.Errorf("the %s report is %d bytes for 4 attempt logs of 50", name, n)
		}
	}

	rows := history.ReportStepArgs(rep)
	if len(rows) > 4*(AttemptLogFirst+AttemptLogLast+2)+5 {
		t.Errorf("%d history rows for 4 attempt logs of 50", len(rows))
	}
	// The rows count every attempt, and every failed one: those kept one
	// call each, those left out by the number their row holds.
	calls, errs := 0, 0
	for _, r := range rows {
		kind, n, status, call := r[3].(string), r[5].(int), r[7].(string), r[11].(int)
		switch {
		case call == 1:
			calls++
			if status == string(report.StatusFailed) {
				errs++
			}
		case kind == history.KindOmitted:
			calls += n
			if status == string(report.StatusFailed) {
				errs += n
			}
		}
	}
	if calls != 5000+2*1000+5000 || errs != 2500 {
		t.Errorf("the history rows count %d calls, %d failed; want 12000, 2500", calls, errs)
	}
}

// TestAttemptLogUnderTheCapIsWhole: a step tried as many times as the
// log keeps, or fewer, keeps every attempt, with nothing said omitted,
// and a step tried once has no log, as before.
func TestAttemptLogUnderTheCapIsWhole(t *testing.T) {
	clock := &skipClock{now: time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)}
	e := New(registry(t, newTestOps().register), WithClock(clock))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: full
    op: control.noop
    repeat: {until: attempt >= 50, every: 1s, timeout: 1h}
  - id: fan
    op: control.noop
    foreach: ${{ [1] }}
    repeat: {until: attempt >= 3, every: 1s, timeout: 1h}
  - id: once
    op: control.noop
`), nil)
	var want []int
	for i := 1; i <= AttemptLogFirst+AttemptLogLast; i++ {
		want = append(want, i)
	}
	full := stepOf(t, rep, "full")
	if diff := cmp.Diff(want, attemptNumbers(full.AttemptLog)); diff != "" || full.Attempts != 50 || full.AttemptsOmitted != 0 {
		t.Errorf("full: %d attempts, %d omitted, log (-want +got):\n%s", full.Attempts, full.AttemptsOmitted, diff)
	}
	it := stepOf(t, rep, "fan").Items[0]
	if diff := cmp.Diff([]int{1, 2, 3}, attemptNumbers(it.AttemptLog)); diff != "" || it.Attempts != 3 || it.AttemptsOmitted != 0 {
		t.Errorf("fan item: %d attempts, %d omitted, log (-want +got):\n%s", it.Attempts, it.AttemptsOmitted, diff)
	}
	if once := stepOf(t, rep, "once"); once.Attempts != 1 || once.AttemptLog != nil {
		t.Errorf("once: %d attempts, log %+v", once.Attempts, once.AttemptLog)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(js, []byte("attempts_omitted")) {
		t.Errorf("a report with nothing omitted says attempts_omitted: %s", js)
	}
	for _, r := range history.ReportStepArgs(rep) {
		if r[3] == history.KindOmitted {
			t.Errorf("a row of omitted attempts for a log that omits none: %v", r)
		}
	}
}

// TestAttemptLogCopyKeepsItsEntries: a copy of a call's log (guard gives
// the operation one) keeps reading what it held while the log goes on.
func TestAttemptLogCopyKeepsItsEntries(t *testing.T) {
	var l attemptLog
	for i := 1; i <= 2*(AttemptLogFirst+AttemptLogLast); i++ {
		l.add(report.Attempt{Attempt: i})
	}
	snapshot := l
	before, _, _ := snapshot.kept()
	for i := 2*(AttemptLogFirst+AttemptLogLast) + 1; i <= 1000; i++ {
		l.add(report.Attempt{Attempt: i})
	}
	after, _, _ := snapshot.kept()
	if diff := cmp.Diff(attemptNumbers(before), attemptNumbers(after)); diff != "" {
		t.Errorf("the copy's entries changed (-before +after):\n%s", diff)
	}
	if got, omitted, _ := l.kept(); omitted != 1000-len(got) || len(got) != AttemptLogFirst+AttemptLogLast {
		t.Errorf("kept %d, omitted %d of 1000", len(got), omitted)
	}
}
