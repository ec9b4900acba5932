package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

func newEngine(t testing.TB, opts ...Option) (*Engine, *testOps) {
	t.Helper()
	to := newTestOps()
	t.Cleanup(func() {
		select {
		case <-to.release:
		default:
			close(to.release)
		}
	})
	return New(registry(t, to.register), opts...), to
}

const header = "version: 1\nname: t\n"

func TestOrderAndGraph(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want map[string]report.Status
		run  report.Status
	}{
		{"list runs in order", `
steps:
  - {id: a, op: control.noop}
  - {id: b, op: control.noop}
`, map[string]report.Status{"a": "succeeded", "b": "succeeded"}, "succeeded"},
		{"failed need skips dependents transitively, other branch runs", `
steps:
  - {id: a, op: control.fail}
  - {id: b, op: control.noop}
  - {id: c, op: control.noop}
  - {id: d, op: control.noop, needs: []}
`, map[string]report.Status{"a": "failed", "b": "skipped", "c": "skipped", "d": "succeeded"}, "failed"},
		{"when false skips but dependents run", `
steps:
  - {id: a, op: control.noop, when: "false"}
  - {id: b, op: control.noop}
`, map[string]report.Status{"a": "skipped", "b": "succeeded"}, "succeeded"},
		{"continue_on_error keeps going and the run succeeds", `
steps:
  - {id: a, op: control.fail, continue_on_error: true}
  - {id: b, op: control.noop, when: 'steps.a.status == "failed"'}
`, map[string]report.Status{"a": "failed", "b": "succeeded"}, "succeeded"},
		{"diamond", `
steps:
  - {id: a, op: control.noop}
  - {id: b, op: control.noop, needs: [a]}
  - {id: c, op: control.noop, needs: [a]}
  - {id: d, op: control.noop, needs: [b, c]}
`, map[string]report.Status{"a": "succeeded", "b": "succeeded", "c": "succeeded", "d": "succeeded"}, "succeeded"},
		{"on_failure only on failure, finally always", `
steps:
  - {id: a, op: control.fail}
on_failure:
  - {id: h, op: control.noop}
finally:
  - {id: f, op: control.assert, with: {that: '${{ run.status == "failed" }}'}}
`, map[string]report.Status{"a": "failed", "h": "succeeded", "f": "succeeded"}, "failed"},
		{"on_failure skipped on success", `
steps:
  - {id: a, op: control.noop}
on_failure:
  - {id: h, op: control.noop}
finally:
  - {id: f, op: control.assert, with: {that: '${{ steps.h.status == "skipped" && run.status == "succeeded" }}'}}
`, map[string]report.Status{"a": "succeeded", "h": "skipped", "f": "succeeded"}, "succeeded"},
		{"a failing finally fails the run", `
steps:
  - {id: a, op: control.noop}
finally:
  - {id: f, op: control.fail}
`, map[string]report.Status{"a": "succeeded", "f": "failed"}, "failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t)
			rep := mustRun(t, plan(t, e, header+tc.src), nil)
			if diff := cmp.Diff(tc.want, statuses(rep)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if rep.Status != tc.run {
				t.Errorf("run status %s, want %s", rep.Status, tc.run)
			}
		})
	}
}

func TestSkipReasons(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: control.fail, with: {message: broken}}
  - {id: b, op: control.noop}
  - {id: c, op: control.noop}
`), nil)
	got := map[string]string{}
	for _, s := range rep.Steps {
		got[s.ID] = s.Reason
	}
	want := map[string]string{"a": "", "b": "needs a, which failed", "c": "needs b, which was skipped"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if rep.Error == nil || rep.Error.Message != "step a failed: broken" || rep.Error.Class != "execution" {
		t.Errorf("run error = %+v", rep.Error)
	}
}

func TestIndependentStepsRunConcurrently(t *testing.T) {
	e, to := newEngine(t)
	mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: test.busy, with: {wait: 200ms}, needs: []}
  - {id: b, op: test.busy, with: {wait: 200ms}, needs: []}
  - {id: c, op: test.busy, with: {wait: 200ms}, needs: []}
`), nil)
	if got := to.maxSeen.Load(); got != 3 {
		t.Errorf("at most %d steps ran at once, want 3", got)
	}
}

func TestMaxParallel(t *testing.T) {
	e, to := newEngine(t, WithMaxParallel(2))
	mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: test.busy, with: {wait: 50ms}, needs: []}
  - {id: b, op: test.busy, with: {wait: 50ms}, needs: []}
  - {id: c, op: test.busy, with: {wait: 50ms}, needs: []}
  - {id: d, op: test.busy, with: {wait: 50ms}, needs: []}
`), nil)
	if got := to.maxSeen.Load(); got > 2 {
		t.Errorf("%d steps ran at once, limit 2", got)
	}
}

func TestRetry(t *testing.T) {
	e, _ := newEngine(t)
	var log eventLog
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: a
    op: test.flaky
    with: {key: a, fails: 2}
    retry: {attempts: 3, delay: 1ms}
  - id: b
    op: test.flaky
    with: {key: b, fails: 5}
    retry: {attempts: 2, delay: 1ms}
    continue_on_error: true
  - id: c
    op: test.flaky
    with: {key: c, fails: 5}
    retry: {attempts: 5, delay: 1ms, when: 'attempt < 2 && error.class == "execution"'}
    continue_on_error: true
  - id: d
    op: test.flaky
    with: {key: d}
    retry: {attempts: 4, delay: 1ms, until: output.try >= 3}
  - id: e
    op: test.flaky
    with: {key: e}
    retry: {attempts: 2, delay: 1ms, until: output.try >= 3}
    continue_on_error: true
`), nil, WithRunObserver(&log))
	type got struct {
		Status   report.Status
		Attempts int
		Logged   int
	}
	res := map[string]got{}
	for _, s := range rep.Steps {
		res[s.ID] = got{s.Status, s.Attempts, len(s.AttemptLog)}
	}
	want := map[string]got{
		"a": {"succeeded", 3, 3},
		"b": {"failed", 2, 2},
		"c": {"failed", 2, 2},
		"d": {"succeeded", 3, 3},
		"e": {"failed", 2, 2},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if msg := stepOf(t, rep, "e").Error.Message; !strings.Contains(msg, "retry.until (output.try >= 3) still false after 2 attempts") {
		t.Errorf("until message: %q", msg)
	}
	// A retry event says why: the attempt's error, or, for an attempt
	// that succeeded, the condition still false.
	for _, ev := range log.kinds(EventRetry) {
		switch ev.Step {
		case "a":
			if ev.Err == "" || ev.ErrClass == "" || ev.Message != "" {
				t.Errorf("retry of a failed attempt: %+v", ev)
			}
		case "d":
			if ev.Err != "" || ev.ErrClass != "" || ev.Message != "retry.until (output.try >= 3) is false" {
				t.Errorf("retry of a succeeded attempt: %+v", ev)
			}
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		delay, max time.Duration
		backoff    float64
		n          int
		want       time.Duration
	}{
		{time.Second, 0, 1, 1, time.Second},
		{time.Second, 0, 2, 3, 4 * time.Second},
		{time.Second, 30 * time.Second, 2, 10, 30 * time.Second},
		{time.Second, 30 * time.Second, 10, 60, 30 * time.Second},
		{time.Second, 0, 10, 60, maxDuration},
	}
	for _, tc := range tests {
		got := backoff(retrySettings(tc.delay, tc.max, tc.backoff, 0), tc.n)
		if got != tc.want {
			t.Errorf("backoff(delay %s, max %s, x%v, attempt %d) = %s, want %s", tc.delay, tc.max, tc.backoff, tc.n, got, tc.want)
		}
	}
	for range 100 {
		got := backoff(retrySettings(time.Second, 0, 1, 0.5), 1)
		if got < 500*time.Millisecond || got > 1500*time.Millisecond {
			t.Fatalf("jittered backoff %s outside [0.5s, 1.5s]", got)
		}
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - id: a
    op: control.fail
    retry: {attempts: 3, delay: 5m}
finally:
  - {id: f, op: control.noop}
`)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(errors.New("interrupted by SIGINT")) })
	start := time.Now()
	rep, err := p.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("cancel during a 5m backoff took %s", d)
	}
	if rep.Status != "cancelled" || rep.Error.Class != "cancelled" {
		t.Errorf("run %s %+v, want cancelled", rep.Status, rep.Error)
	}
	if got := statuses(rep); got["f"] != "succeeded" {
		t.Errorf("finally did not run after cancel: %v", got)
	}
}

func TestTimeouts(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: a
    op: control.sleep
    with: {duration: 1m}
    timeout: 50ms
    continue_on_error: true
  - id: b
    op: control.assert
    with: {that: '${{ steps.a.error.class == "timeout" }}'}
`), nil)
	if diff := cmp.Diff(map[string]report.Status{"a": "failed", "b": "succeeded"}, statuses(rep)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if msg := stepOf(t, rep, "a").Error.Message; !strings.Contains(msg, "step timeout of 50ms exceeded") {
		t.Errorf("timeout message %q", msg)
	}

	rep = mustRun(t, plan(t, e, header+`
timeout: 100ms
steps:
  - {id: a, op: control.sleep, with: {duration: 1m}}
  - {id: b, op: control.noop}
finally:
  - {id: f, op: control.noop}
`), nil)
	want := map[string]report.Status{"a": "failed", "b": "skipped", "f": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rep.Status != "failed" || rep.Error.Class != "timeout" {
		t.Errorf("run %s %+v, want failed with class timeout", rep.Status, rep.Error)
	}
}

func TestPanicBecomesSystemError(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: test.panic}
on_failure:
  - {id: h, op: control.noop}
`), nil)
	a := stepOf(t, rep, "a")
	if a.Status != "failed" || a.Error.Class != "system" || !strings.Contains(a.Error.Message, "panicked: boom") {
		t.Errorf("step a: %s %+v", a.Status, a.Error)
	}
	if statuses(rep)["h"] != "succeeded" {
		t.Error("on_failure did not run after a panic")
	}
}

// TestPanicValueIsMaskedInEvents: a panic's value may quote a secret
// param; the log event that live views and event streams show masks it,
// as the report does.
func TestPanicValueIsMaskedInEvents(t *testing.T) {
	e, _ := newEngine(t)
	var mu sync.Mutex
	var logs []string
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventLog {
			mu.Lock()
			defer mu.Unlock()
			logs = append(logs, ev.Message+" "+ev.Err)
		}
	})
	rep := mustRun(t, plan(t, e, header+`
inputs: {tok: {type: string, secret: true}}
steps:
  - {id: a, op: test.panic_with, with: {token: "${{ inputs.tok }}"}}
`), map[string]any{"tok": "S3cretPanicValue"}, WithRunObserver(obs))
	if a := stepOf(t, rep, "a"); a.Error == nil || strings.Contains(a.Error.Message, "S3cret") {
		t.Errorf("report: %+v", a.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) == 0 {
		t.Fatal("no log event for the panic")
	}
	for _, l := range logs {
		if strings.Contains(l, "S3cretPanicValue") {
			t.Errorf("log event shows the secret: %s", l)
		}
	}
}

func TestAbandonStuckOperation(t *testing.T) {
	e, _ := newEngine(t, WithGrace(50*time.Millisecond))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: test.stuck, timeout: 50ms}
`), nil)
	a := stepOf(t, rep, "a")
	if !a.Abandoned || a.Error.Class != "timeout" {
		t.Errorf("step a: abandoned=%v %+v", a.Abandoned, a.Error)
	}
}

func TestFanout(t *testing.T) {
	e, to := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: a
    op: control.set
    foreach: 1..20
    concurrency: 4
    with: {n: "${{ item * 10 }}", i: "${{ index }}"}
  - id: b
    op: control.assert
    with: {that: '${{ len(steps.a.items) == 20 && steps.a.output[3].n == 40 }}'}
  - id: c
    op: test.busy
    foreach: 1..12
    concurrency: 3
`), nil)
	if rep.Status != "succeeded" {
		t.Fatalf("run %s:\n%s", rep.Status, dump(rep))
	}
	a := stepOf(t, rep, "a")
	for i, it := range a.Items {
		want := map[string]any{"n": (i + 1) * 10, "i": i}
		if it.Index != i {
			t.Fatalf("item %d has index %d", i, it.Index)
		}
		if diff := cmp.Diff(want, it.Output); diff != "" {
			t.Errorf("item %d output (-want +got):\n%s", i, diff)
		}
	}
	if got := to.maxSeen.Load(); got > 3 || got < 2 {
		t.Errorf("fan-out ran %d at once, want between 2 and the limit 3", got)
	}
}

func TestFanoutFailFast(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: a
    op: test.busy
    foreach: 0..9
    with: {fail: "${{ item == 2 }}", wait: 1ms}
  - id: b
    op: test.busy
    foreach: 0..9
    fail_fast: false
    with: {fail: "${{ item == 2 }}", wait: 1ms}
    needs: []
`), nil)
	count := func(s report.Step) map[report.Status]int {
		m := map[report.Status]int{}
		for _, it := range s.Items {
			m[it.Status]++
		}
		return m
	}
	if diff := cmp.Diff(map[report.Status]int{"succeeded": 2, "failed": 1, "cancelled": 7}, count(stepOf(t, rep, "a"))); diff != "" {
		t.Errorf("fail_fast (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[report.Status]int{"succeeded": 9, "failed": 1}, count(stepOf(t, rep, "b"))); diff != "" {
		t.Errorf("fail_fast false (-want +got):\n%s", diff)
	}
	if s := stepOf(t, rep, "a"); s.Status != "failed" || !strings.Contains(s.Error.Message, "item 2") {
		t.Errorf("step a %s %+v", s.Status, s.Error)
	}
}

func TestFanoutBadList(t *testing.T) {
	e, _ := newEngine(t)
	// A foreach known not to give a list is refused at load; this one is
	// known only when it runs.
	rep := mustRun(t, plan(t, e, header+`
vars: {text: "${{ trim(' some text ') }}"}
steps:
  - {id: a, op: control.noop, foreach: vars.text}
`), nil)
	if s := stepOf(t, rep, "a"); s.Error == nil || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, "foreach gave string; it must give a list") {
		t.Errorf("step a: %+v", s.Error)
	}
}

// TestFanoutOverAMapSaysHow: a foreach, or a matrix axis, that gives a
// map only when it runs fails with the expression to write instead.
func TestFanoutOverAMapSaysHow(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: get, op: control.set, with: {m: {a: 1}}}
  - {id: a, op: control.noop, foreach: steps.get.output.m, continue_on_error: true}
  - {id: b, op: control.noop, foreach: {matrix: {os: "${{ steps.get.output.m }}"}}}
`), nil)
	for step, want := range map[string]string{
		"a": "foreach gave map; it must give a list: give the map's keys, sort(keys(steps.get.output.m)), and read each value as steps.get.output.m[item], or its [key, value] pairs, toPairs(steps.get.output.m)",
		"b": "matrix axis os gave map; it must give a list: give the map's keys, sort(keys(steps.get.output.m)), and read each value as steps.get.output.m[item.os]",
	} {
		if s := stepOf(t, rep, step); s.Error == nil || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, want) {
			t.Errorf("step %s: %s %s %+v, want %q", step, s.Status, s.Reason, s.Error, want)
		}
	}
}

func TestInterpolation(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
inputs:
  text: {type: string, default: "${{ 1 + 1 }}"}
  n: {type: integer, default: 3}
steps:
  - id: a
    op: control.set
    with:
      typed: "${{ inputs.n * 2 }}"
      list: "${{ [1, 'x'] }}"
      str: "n=${{ inputs.n }} f=${{ 1.5 }} nil=${{ nil }} l=${{ [1] }}"
      data: "${{ inputs.text }}"
      literal: "$${{ not evaluated }}"
      nested: {deep: ["${{ inputs.n }}"]}
`), nil)
	want := map[string]any{
		"typed":   6,
		"list":    []any{1, "x"},
		"str":     "n=3 f=1.5 nil= l=[1]",
		"data":    "${{ 1 + 1 }}",
		"literal": "${{ not evaluated }}",
		"nested":  map[string]any{"deep": []any{3}},
	}
	if diff := cmp.Diff(want, stepOf(t, rep, "a").Output); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestInterpolatedParamsAreValidated(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: control.sleep, with: {duration: "${{ 'soon' }}"}}
`), nil)
	if s := stepOf(t, rep, "a"); s.Error == nil || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, "param duration") {
		t.Errorf("step a: %+v", s.Error)
	}
}

func TestInputs(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  n: {type: integer, required: true}
  f: {type: number, default: 1.5}
  tags: {type: list, default: []}
  mode: {type: string, enum: [fast, slow], default: fast}
  tok: {type: string, env: TEST_TOKEN_INPUT}
steps:
  - {id: a, op: control.noop}
`)
	typed, err := p.ParseInputs(map[string]string{"n": "4", "tags": `["a",2]`})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.ResolveInputs(typed, func(k string) (string, bool) { return "from-env", k == "TEST_TOKEN_INPUT" })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"n": 4, "f": 1.5, "tags": []any{"a", 2}, "mode": "fast", "tok": "from-env"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = p.ParseInputs(map[string]string{"n": "x", "nn": "1", "tags": "[", "mode": "medium"})
	var ie *InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 4 {
		t.Fatalf("want 4 problems, got %v", err)
	}
	for _, want := range []string{`n: want an integer, got "x"`, `nn: unknown input (did you mean "n"?)`, "tags: want a list written as JSON", "mode: medium is not an allowed value; give one of: fast, slow"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := p.Run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "n is required") {
		t.Errorf("missing required input: %v", err)
	}
}

func TestSecretsMasked(t *testing.T) {
	var logs bytes.Buffer
	e, _ := newEngine(t, WithLog(&logs, zerolog.DebugLevel))
	p := plan(t, e, header+`
inputs:
  pw: {type: string, secret: true}
steps:
  - {id: a, op: control.log, with: {message: "pw is ${{ inputs.pw }}"}}
  - {id: b, op: control.fail, with: {message: "failed with ${{ inputs.pw }}"}, continue_on_error: true}
  - {id: c, op: test.secret}
  - {id: d, op: control.log, with: {message: "token ${{ steps.c.output.token }}"}}
outputs:
  leaked: "${{ inputs.pw }}"
`)
	rep := mustRun(t, p, map[string]any{"pw": "hunter2-secret"})
	all := dump(rep) + logs.String()
	for _, secret := range []string{"hunter2-secret", "generated-token-123", "aHVudGVyMi1zZWNyZXQ"} {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q visible in report or logs", secret)
		}
	}
	if got := stepOf(t, rep, "a").Output.(map[string]any)["message"]; got != "pw is ***" {
		t.Errorf("masked output %q", got)
	}
	if rep.Inputs["pw"] != "***" || rep.Outputs["leaked"] != "***" {
		t.Errorf("inputs %v outputs %v", rep.Inputs, rep.Outputs)
	}
}

func TestDryRun(t *testing.T) {
	e, to := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: test.write}
  - {id: b, op: control.log, with: {message: read ops run}}
`), nil, DryRun())
	if to.writes.Load() != 0 {
		t.Fatal("dry run executed a write op")
	}
	if a := stepOf(t, rep, "a"); a.Status != "skipped" || !strings.Contains(a.Reason, "dry run") {
		t.Errorf("step a %s %q", a.Status, a.Reason)
	}
	if b := stepOf(t, rep, "b"); b.Status != "succeeded" {
		t.Errorf("read step %s", b.Status)
	}
	if !rep.DryRun || rep.Status != "succeeded" {
		t.Errorf("report dry_run=%v status=%s", rep.DryRun, rep.Status)
	}
}

type answer bool

func (a answer) Confirm(context.Context, string, string) (bool, error) { return bool(a), nil }

func TestConfirm(t *testing.T) {
	src := header + `
steps:
  - {id: a, op: control.noop, confirm: "Really?"}
`
	for _, tc := range []struct {
		name string
		opts []Option
		run  []RunOption
		want report.Status
	}{
		{"no terminal", nil, nil, "denied"},
		{"yes flag", nil, []RunOption{AssumeYes()}, "succeeded"},
		{"answered yes", []Option{WithConfirmer(answer(true))}, nil, "succeeded"},
		{"answered no", []Option{WithConfirmer(answer(false))}, nil, "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, tc.opts...)
			rep := mustRun(t, plan(t, e, src), nil, tc.run...)
			if got := stepOf(t, rep, "a").Status; got != tc.want {
				t.Errorf("status %s, want %s", got, tc.want)
			}
		})
	}
}

// TestConfirmHint: a confirm: step denied for want of anyone to ask says
// what to do in the words of the front end that started the run: --yes by
// default, the front end's own hint with WithConfirmHint.
func TestConfirmHint(t *testing.T) {
	src := header + `
steps:
  - {id: a, op: control.noop, confirm: "Really?"}
`
	for _, tc := range []struct {
		name string
		run  []RunOption
		want string
	}{
		{"default", nil, DefaultConfirmHint},
		{"front end's", []RunOption{WithConfirmHint(`start the run with "ask": true`)}, `start the run with "ask": true`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t)
			a := stepOf(t, mustRun(t, plan(t, e, src), nil, tc.run...), "a")
			if a.Error == nil || a.Error.Message != `step needs confirmation ("Really?") but `+tc.want {
				t.Errorf("error %+v, want it to end with %q", a.Error, tc.want)
			}
			if a.Reason != "needs confirmation, and "+tc.want {
				t.Errorf("reason %q, want it to end with %q", a.Reason, tc.want)
			}
			if tc.name == "front end's" && strings.Contains(a.Error.Message, "--yes") {
				t.Errorf("the front end's hint still names --yes: %s", a.Error.Message)
			}
		})
	}
}

func TestEnvMerging(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
env: {A: pb, B: pb, C: pb}
steps:
  - id: a
    op: test.write
    env: {B: step, C: step}
    with: {env: {C: with}}
`), nil)
	want := map[string]any{"env": map[string]any{"A": "pb", "B": "step", "C": "with"}}
	if diff := cmp.Diff(want, stepOf(t, rep, "a").Output); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestOutputsErrorsAreReported(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: control.set, with: {x: 1}}
outputs:
  good: "${{ steps.a.output.x }}"
  bad: "${{ steps.a.output.x.y.z }}"
`), nil)
	if rep.Status != "succeeded" || rep.Outputs["good"] != 1 || rep.OutputErrors["bad"] == "" {
		t.Errorf("status %s outputs %v errors %v", rep.Status, rep.Outputs, rep.OutputErrors)
	}
}

func TestConcurrentRunsOfOnePlan(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  n: {type: integer, default: 0}
steps:
  - {id: a, op: control.set, with: {v: "${{ inputs.n }}"}}
  - id: b
    op: control.set
    foreach: 1..5
    concurrency: 2
    with: {v: "${{ steps.a.output.v + item }}"}
outputs:
  last: "${{ steps.b.output[4].v }}"
`)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			rep, err := p.Run(context.Background(), map[string]any{"n": i})
			if err != nil {
				t.Error(err)
				return
			}
			if rep.Outputs["last"] != i+5 {
				t.Errorf("run %d: last = %v", i, rep.Outputs["last"])
			}
		})
	}
	wg.Wait()
}

// TestIgnoredFailures: a step whose failure continue_on_error excused is
// marked ignored in the report, so that its formats (JUnit above all) do
// not count it as the run's failure; a failure that fails the run, and a
// rescued one, are not.
func TestIgnoredFailures(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: excused, op: control.fail, continue_on_error: true}
  - {id: fine, op: control.noop}
  - {id: fatal, op: control.fail, needs: [fine]}
`), nil)
	got := map[string]bool{}
	for _, s := range rep.Steps {
		got[s.ID] = s.Ignored
	}
	if diff := cmp.Diff(map[string]bool{"excused": true, "fine": false, "fatal": false}, got); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
}

// TestIgnoredInEvents: step_finished says a failure is ignored when
// continue_on_error lets the run go on, so that live views and the
// history need not wait for the report; a step with rescue steps is not
// told, since they may still rescue it.
func TestIgnoredInEvents(t *testing.T) {
	e, _ := newEngine(t)
	var mu sync.Mutex
	got := map[string]bool{}
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventStepFinished {
			mu.Lock()
			defer mu.Unlock()
			got[ev.Step] = ev.Ignored
		}
	})
	mustRun(t, plan(t, e, header+`
steps:
  - {id: excused, op: control.fail, continue_on_error: true}
  - id: saved
    op: control.fail
    continue_on_error: true
    rescue:
      - {id: fix, op: control.noop}
  - {id: fine, op: control.noop, needs: [excused, saved]}
  - {id: fatal, op: control.fail, needs: [fine]}
`), nil, WithRunObserver(obs))
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(map[string]bool{"excused": true, "saved": false, "fix": false, "fine": false, "fatal": false}, got); diff != "" {
		t.Errorf("step_finished ignored (-want +got):\n%s", diff)
	}
}

// TestContinueOnErrorCoversItsRescue: a step with continue_on_error whose
// rescue fails lets the run go on, as it does; its rescue step's failure
// is ignored as the step's is, in the report, its events and
// run.failed_steps, so that JUnit and on_success do not call it a failure
// of a run that succeeded.
func TestContinueOnErrorCoversItsRescue(t *testing.T) {
	e, _ := newEngine(t)
	var mu sync.Mutex
	ignored := map[string]bool{}
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventStepFinished {
			mu.Lock()
			defer mu.Unlock()
			ignored[ev.Step] = ev.Ignored
		}
	})
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: f
    op: control.fail
    continue_on_error: true
    rescue: [{id: fr, op: control.fail}]
on_success:
  - {id: ok, op: control.set, with: {failed: "${{ run.failed_steps }}"}}
`), nil, WithRunObserver(obs))
	if rep.Status != "succeeded" {
		t.Fatalf("run %s", rep.Status)
	}
	if fr := stepOf(t, rep, "fr"); fr.Status != "failed" || !fr.Ignored {
		t.Errorf("the rescue step: %s, ignored %v", fr.Status, fr.Ignored)
	}
	if diff := cmp.Diff(map[string]any{"failed": []any{}}, stepOf(t, rep, "ok").Output); diff != "" {
		t.Errorf("run.failed_steps (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	if !ignored["fr"] {
		t.Errorf("step_finished of the rescue step: ignored %v", ignored)
	}
}
