package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// counter is an op whose output counts its calls per key.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) register(r *ops.Registry) {
	c.n = map[string]int{}
	r.MustRegister(ops.Spec{Name: "test.count", Risk: ops.RiskRead, Params: []ops.Param{
		{Name: "key", Type: ops.TypeString, Default: "k"},
		{Name: "fail_at", Type: ops.TypeInteger, Default: 0},
	}}, ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.n[p.String("key")]++
		n := c.n[p.String("key")]
		if n == p.Int("fail_at") {
			return nil, ops.Errorf(ops.ClassExecution, "failed at call %d", n)
		}
		return map[string]any{"n": n}, nil
	}))
}

// eventLog records a run's events.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) Event(ev Event) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

func (l *eventLog) kinds(kind EventKind) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, ev := range l.evs {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// TestRepeat runs a step until its condition holds, with a repeat event
// before each new attempt; runs out of time with class timeout keeping the
// last output; and ends at once when an attempt fails.
func TestRepeat(t *testing.T) {
	c := &counter{}
	e := New(registry(t, c.register))
	p := plan(t, e, header+`
inputs:
  every: {type: duration, default: 1ms}
steps:
  - id: poll
    op: test.count
    with: {key: poll}
    repeat: {until: output.n >= 3 && attempt == output.n, every: "${{ inputs.every }}", timeout: 1m}
  - id: never
    op: test.count
    with: {key: never}
    repeat: {until: output.n < 0, every: 5ms, timeout: 300ms}
  - id: broken
    op: test.count
    with: {key: broken, fail_at: 2}
    needs: []
    repeat: {until: "false", every: 1ms, timeout: 1m}
`)
	var log eventLog
	rep := mustRun(t, p, nil, WithRunObserver(&log))
	poll := stepOf(t, rep, "poll")
	if poll.Status != report.StatusSucceeded || poll.Attempts != 3 {
		t.Errorf("poll: %s after %d attempts %+v", poll.Status, poll.Attempts, poll.Error)
	}
	if diff := cmp.Diff(map[string]any{"n": 3}, poll.Output); diff != "" {
		t.Errorf("poll output (-want +got):\n%s", diff)
	}
	var pollRepeats []int
	for _, ev := range log.kinds(EventRepeat) {
		if ev.Step == "poll" {
			pollRepeats = append(pollRepeats, ev.Attempt)
			if !strings.Contains(ev.Message, "repeat.until (output.n >= 3") || ev.DelayMS != 1 {
				t.Errorf("repeat event %+v", ev)
			}
		}
	}
	if diff := cmp.Diff([]int{1, 2}, pollRepeats); diff != "" {
		t.Errorf("repeat events of poll (-want +got):\n%s", diff)
	}
	never := stepOf(t, rep, "never")
	if never.Status != report.StatusFailed || never.Error == nil || never.Error.Class != string(ops.ClassTimeout) ||
		!strings.Contains(never.Error.Message, "repeat.until (output.n < 0) still false after") || !strings.Contains(never.Error.Message, "repeat.timeout of 300ms exceeded") {
		t.Errorf("never: %s %+v", never.Status, never.Error)
	}
	if out, _ := never.Output.(map[string]any); out == nil || out["n"] == nil || out["n"].(int) < 2 {
		t.Errorf("never keeps its last output: %v", never.Output)
	}
	broken := stepOf(t, rep, "broken")
	if broken.Status != report.StatusFailed || broken.Attempts != 2 || broken.Error.Class != string(ops.ClassExecution) || !strings.Contains(broken.Error.Message, "failed at call 2") {
		t.Errorf("broken: %s after %d, %+v", broken.Status, broken.Attempts, broken.Error)
	}
}

// TestRetrySettingsFromInputs evaluates retry.attempts, delay and max_delay
// written as ${{ }} once when the step starts; a value out of bounds fails
// the step with class validation.
func TestRetrySettingsFromInputs(t *testing.T) {
	to := newTestOps()
	e := New(registry(t, to.register))
	p := plan(t, e, header+`
inputs:
  tries: {type: integer, default: 4}
  pause: {type: duration, default: 1ms}
vars:
  cap: 2ms
steps:
  - id: flaky
    op: test.flaky
    with: {key: "${{ run.id }}", fails: 3}
    retry: {attempts: "${{ inputs.tries }}", delay: "${{ inputs.pause }}", max_delay: "${{ vars.cap }}", backoff: 2}
`)
	var log eventLog
	rep := mustRun(t, p, nil, WithRunObserver(&log))
	if s := stepOf(t, rep, "flaky"); s.Status != report.StatusSucceeded || s.Attempts != 4 {
		t.Errorf("4 tries: %s after %d %+v", s.Status, s.Attempts, s.Error)
	}
	var delays []int64
	for _, ev := range log.kinds(EventRetry) {
		delays = append(delays, ev.DelayMS)
	}
	if diff := cmp.Diff([]int64{1, 2, 2}, delays); diff != "" {
		t.Errorf("retry delays (-want +got):\n%s", diff)
	}

	rep = mustRun(t, p, map[string]any{"tries": 2})
	if s := stepOf(t, rep, "flaky"); s.Status != report.StatusFailed || s.Attempts != 2 {
		t.Errorf("2 tries: %s after %d", s.Status, s.Attempts)
	}
	rep = mustRun(t, p, map[string]any{"tries": 101})
	s := stepOf(t, rep, "flaky")
	if s.Status != report.StatusFailed || s.Error.Class != string(ops.ClassValidation) || !strings.Contains(s.Error.Message, "retry.attempts: `inputs.tries` gave 101; it must be a whole number from 1 to 100") {
		t.Errorf("101 tries: %s %+v", s.Status, s.Error)
	}
	rep = mustRun(t, p, map[string]any{"pause": "1h"})
	if s := stepOf(t, rep, "flaky"); s.Error == nil || !strings.Contains(s.Error.Message, "retry.delay 1h is longer than retry.max_delay 2ms") {
		t.Errorf("delay over max_delay: %+v", s.Error)
	}
}

// TestMatrix fans out over the combinations of a matrix, with values from
// inputs, exclude and include, as item.<axis>.
func TestMatrix(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
inputs:
  versions: {type: list, default: [1, 2]}
steps:
  - id: build
    op: control.set
    foreach:
      matrix:
        os: [linux, darwin]
        ver: "${{ inputs.versions }}"
        exclude: [{os: darwin, ver: 1}]
        include: [{os: linux, extra: yes}, {os: plan9, ver: 0}]
    with: {name: "${{ item.os }}-${{ item.ver }}${{ item.extra ?? '' }}", i: "${{ index }}"}
`), nil)
	var got []any
	for _, it := range stepOf(t, rep, "build").Items {
		got = append(got, it.Output.(map[string]any)["name"])
	}
	if diff := cmp.Diff([]any{"linux-1yes", "linux-2yes", "darwin-2", "plan9-0"}, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// TestMatrixEmptyComputedAxis: an axis whose expression gives an empty
// list fails the step at the axis's line, not the matrix's, saying what
// to write instead.
func TestMatrixEmptyComputedAxis(t *testing.T) {
	e, _ := newEngine(t)
	src := header + `
inputs:
  versions: {type: list, default: []}
steps:
  - id: build
    op: control.noop
    foreach:
      matrix:
        os: [linux]
        ver: "${{ inputs.versions }}"
`
	line := strings.Count(src[:strings.Index(src, "ver:")], "\n") + 1
	rep := mustRun(t, plan(t, e, src), nil)
	s := stepOf(t, rep, "build")
	want := fmt.Sprintf(":%d:14: matrix axis ver gave an empty list, and a matrix needs at least one value per axis; skip the step when there is none (when: len(inputs.versions) > 0), or, for one axis, fan out over the list itself (foreach: inputs.versions)", line)
	if s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, want) {
		t.Errorf("an empty axis at run time: %s %+v, want a validation error with %q", s.Status, s.Error, want)
	}
}

// TestPlaybookMaxParallel caps how many steps of a playbook run at once, below
// the engine's limit.
func TestPlaybookMaxParallel(t *testing.T) {
	e, to := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
max_parallel: 2
steps:
  - {id: a, op: test.busy, needs: [], with: {wait: 50ms}}
  - {id: b, op: test.busy, needs: [], with: {wait: 50ms}}
  - {id: c, op: test.busy, needs: [], with: {wait: 50ms}}
  - {id: d, op: test.busy, needs: [], with: {wait: 50ms}}
  - {id: f, op: test.busy, needs: [], with: {wait: 50ms}}
`), nil)
	if rep.Status != report.StatusSucceeded {
		t.Fatal(rep.Status)
	}
	if n := to.maxSeen.Load(); n != 2 {
		t.Errorf("%d steps ran at once, want 2 (max_parallel)", n)
	}
}

// TestEnvFilesAndInputSources reads env_file variables into the run's
// environment (the process environment winning), and inputs from their
// env var or file, masking secrets.
func TestEnvFilesAndInputSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(".env", "REGION=eu-west-1\nAPI_TOKEN=tok-from-file\nHOME=/from/env/file\n")
	write("level.txt", "7\n")
	write("pb.yaml", header+`
env_file: .env
inputs:
  token: {type: string, secret: true, from_env: API_TOKEN}
  level: {type: integer, default: 1, from_file: level.txt}
  missing: {type: string, default: fallback, from_file: nope.txt}
  pin: {type: integer, secret: true, default: 0, from_file: pin.txt}
steps:
  - id: show
    op: test.write
    with:
      env: {}
    env: {SEEN_REGION: "${{ env.REGION }}"}
  - {id: values, op: control.set, with: {level: "${{ inputs.level }}", missing: "${{ inputs.missing }}", token: "${{ inputs.token }}", home: "${{ env.HOME }}"}}
`)
	to := newTestOps()
	e := New(registry(t, to.register))
	pb, err := steps.Load(filepath.Join(dir, "pb.yaml"), e.Registry())
	if err != nil {
		t.Fatal(err)
	}
	p := e.Plan(pb)
	rep := mustRun(t, p, nil, WithEnviron([]string{"HOME=/home/op"}))
	if diff := cmp.Diff(map[string]any{"level": 7, "missing": "fallback", "token": "***", "home": "/home/op"}, stepOf(t, rep, "values").Output); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if got := stepOf(t, rep, "show").Output.(map[string]any)["env"].(map[string]any)["SEEN_REGION"]; got != "eu-west-1" {
		t.Errorf("env.REGION in a step's env: %v", got)
	}
	if rep.Inputs["token"] != "***" {
		t.Errorf("report inputs %v", rep.Inputs)
	}

	write("pin.txt", "not-a-number-s3cret")
	_, err = p.Run(context.Background(), nil, WithEnviron([]string{}))
	if err == nil || !strings.Contains(err.Error(), "pin (from_file pin.txt): the value does not fit this secret integer input (it is not shown)") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a secret file that does not parse: %v", err)
	}
	write(".env", "BROKEN='\n")
	_, err = p.Run(context.Background(), nil, WithEnviron([]string{}))
	if err == nil || !strings.Contains(err.Error(), "env_file .env:1:8: unterminated quoted value") {
		t.Errorf("an env file broken since the load: %v", err)
	}
}

// TestPartialRuns checks --from and --only: the selected steps run even
// when they succeeded before; the steps left out take their output from
// the resumed run, or are skipped without blocking; reading a left-out
// step whose output is unknown is refused before anything runs.
func TestPartialRuns(t *testing.T) {
	var calls atomic.Int32
	e := New(registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.tick", Risk: ops.RiskRead, Params: []ops.Param{{Name: "v", Type: ops.TypeAny}}},
			ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
				calls.Add(1)
				return map[string]any{"v": p["v"]}, nil
			}))
	}))
	p := plan(t, e, header+`
steps:
  - {id: fetch, op: test.tick, with: {v: "${{ run.id }}"}}
  - {id: gate, op: test.tick, with: {v: 1}}
  - {id: build, op: test.tick, with: {v: "built from ${{ steps.fetch.output.v }}"}}
  - {id: publish, op: test.tick, with: {v: "${{ steps.build.output.v }}"}}
  - {id: announce, op: test.tick, needs: [gate], with: {v: hi}}
finally:
  - {id: tidy, op: test.tick}
`)
	first := mustRun(t, p, nil, WithRunID("first"))
	if first.Status != report.StatusSucceeded {
		t.Fatal(first.Status)
	}

	sel := Selection{From: "build"}
	if err := p.CheckPartial(sel, first, false); err != nil {
		t.Fatal(err)
	}
	calls.Store(0)
	rep := mustRun(t, p, nil, WithRunID("second"), Resume(first), WithSelection(sel))
	want := map[string]report.Status{"fetch": "succeeded", "gate": "succeeded", "build": "succeeded", "publish": "succeeded", "announce": "succeeded", "tidy": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("--from build (-want +got):\n%s", diff)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("--from build ran %d ops, want 3 (build, publish, tidy)", n)
	}
	if s := stepOf(t, rep, "build"); s.Reused || s.Output.(map[string]any)["v"] != "built from first" {
		t.Errorf("build: reused %v, output %v", s.Reused, s.Output)
	}
	if s := stepOf(t, rep, "fetch"); !s.Reused || s.Reason != "not selected (--from build); state and output from run first" {
		t.Errorf("fetch: reused %v, reason %q", s.Reused, s.Reason)
	}

	// --only announce needs gate but does not read it: without a report,
	// gate is skipped and announce runs.
	sel = Selection{Only: []string{"announce"}}
	if err := p.CheckPartial(sel, nil, false); err != nil {
		t.Fatal(err)
	}
	rep = mustRun(t, p, nil, WithSelection(sel))
	want = map[string]report.Status{"fetch": "skipped", "gate": "skipped", "build": "skipped", "publish": "skipped", "announce": "succeeded", "tidy": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("--only announce (-want +got):\n%s", diff)
	}
	if r := stepOf(t, rep, "gate").Reason; r != "not selected (--only announce)" {
		t.Errorf("gate's reason %q", r)
	}
	// The partial run succeeded, but its left-out steps never ran: a
	// resume says which, and how to run them.
	err := p.CheckResume(roundTrip(t, rep), false)
	if err == nil || !strings.Contains(err.Error(), "but as a partial run: fetch, gate, build, publish did not run (not selected); add --only fetch,gate,build,publish") {
		t.Errorf("resuming a succeeded partial run: %v", err)
	}
	// With them taken from a full run, nothing was left undone.
	rep = mustRun(t, p, nil, Resume(first), WithSelection(sel))
	if err := p.CheckResume(roundTrip(t, rep), false); err == nil || !strings.Contains(err.Error(), "succeeded; there is nothing to resume") {
		t.Errorf("resuming a succeeded partial run that took the rest from another: %v", err)
	}

	for _, c := range []struct {
		sel  Selection
		prev *report.Report
		want string
	}{
		{Selection{Only: []string{"publish"}}, nil, "cannot run --only publish: publish reads steps.build, whose output is unknown; give --resume REPORT"},
		{Selection{From: "publish"}, &report.Report{RunID: "x", Playbook: first.Playbook, Status: report.StatusFailed, Steps: []report.Step{{ID: "build", Status: report.StatusFailed}}}, "publish reads steps.build, whose output is unknown; run x does not have them succeeded"},
		{Selection{From: "publish"}, &report.Report{RunID: "z", Playbook: first.Playbook, Status: report.StatusFailed,
			Steps: []report.Step{{ID: "build", Status: report.StatusSucceeded, Output: map[string]any{"artifact": "https://x/?t=***"}}}},
			"publish reads steps.build, but run z recorded its output with secrets masked, not its whole output"},
		{Selection{From: "biuld"}, nil, `no step "biuld"`},
		{Selection{From: "tidy"}, nil, "tidy is a step of finally; --from and --only pick steps of steps:"},
		{Selection{Only: []string{"build"}}, &report.Report{RunID: "y", Playbook: report.Playbook{Name: "other"}}, `run y is of playbook "other"`},
	} {
		err := p.CheckPartial(c.sel, c.prev, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want …%s…", c.sel, err, c.want)
		}
	}
}

// TestInputSourcesRefuseAFIFO checks that a named pipe where a playbook
// reads a file (env_file, from_file) is refused at once: opening it would
// wait for a writer that never comes, and no signal would end the wait.
func TestInputSourcesRefuseAFIFO(t *testing.T) {
	for _, tc := range []struct{ name, pb, want string }{
		{"from_file", "inputs:\n  tok: {type: string, default: x, from_file: pipe}\n", "not a regular file"},
		{"env_file", "env_file: pipe\n", "env_file pipe is not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			src := header + tc.pb + "steps:\n  - {id: a, op: control.noop}\n"
			if err := os.WriteFile(filepath.Join(dir, "pb.yaml"), []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			e := New(registry(t))
			done := make(chan error, 1)
			go func() {
				pb, err := steps.Load(filepath.Join(dir, "pb.yaml"), e.Registry())
				if err == nil {
					_, err = e.Plan(pb).Run(context.Background(), nil, WithEnviron([]string{}))
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want an error saying %q", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				// Unblock the open so that the goroutine ends.
				if w, err := os.OpenFile(filepath.Join(dir, "pipe"), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
				t.Fatal("still waiting on the named pipe after 10 s")
			}
		})
	}
}

// TestTemplateOverMaxValueSize checks that a template whose expressions
// together give more than MaxValueSize fails the step, naming the limit.
func TestTemplateOverMaxValueSize(t *testing.T) {
	e := New(registry(t))
	p := plan(t, e, header+`inputs:
  a: {type: string}
steps:
  - {id: s, op: control.set, with: {v: "${{ inputs.a }}-${{ inputs.a }}"}}
`)
	half := strings.Repeat("x", steps.MaxValueSize/2+1)
	rep := mustRun(t, p, map[string]any{"a": half})
	s := stepOf(t, rep, "s")
	if s.Status != report.StatusFailed || s.Error == nil || !strings.Contains(s.Error.Message, "over 1048576 bytes, the limit of a value; interpolate a smaller part") {
		t.Fatalf("step %s: %+v", s.Status, s.Error)
	}
}

// TestUnsetEnvIsNull: a variable that is not set reads as null, as a
// missing output field does: a ?? default applies, comparing it with text
// is false, and a step's env made of it alone fails before the step runs
// ("" would have made rm -rf "$TARGET/" into rm -rf /).
func TestUnsetEnvIsNull(t *testing.T) {
	e, _ := newEngine(t)
	rep, _ := plan(t, e, header+`
steps:
  - {id: values, op: control.set, with: {dir: "${{ env.BUILD_DIR ?? '/tmp/scratch' }}", ci: "${{ env.CI == 'true' }}", text: "[${{ env.BUILD_DIR }}]", home: "${{ env.HOME }}"}}
  - {id: wipe, op: test.write, with: {env: {}}, env: {TARGET: "${{ env.BUILD_DIR }}"}}
`).Run(context.Background(), nil, WithEnviron([]string{"HOME=/home/op"}))
	if diff := cmp.Diff(map[string]any{"dir": "/tmp/scratch", "ci": false, "text": "[]", "home": "/home/op"}, stepOf(t, rep, "values").Output); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	wipe := stepOf(t, rep, "wipe")
	if wipe.Status != "failed" || wipe.Error == nil || !strings.Contains(wipe.Error.Message, "env.BUILD_DIR` gave null") {
		t.Errorf("a step's env of an unset variable: %s %+v", wipe.Status, wipe.Error)
	}
}
