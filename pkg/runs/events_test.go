package runs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// checkGrammar checks the documented grammar over a whole stream: numbered
// without gaps, run_started first and run_finished last for every run id,
// each step with exactly one started before one finished, item events
// between them. It returns the finished status of every step by
// "run:step" (sub-runs keyed by their parent step).
func checkGrammar(t *testing.T, evs []Event) map[string]string {
	t.Helper()
	type stepState struct{ started, finished int }
	steps := map[string]*stepState{}
	runs := map[string]string{} // run id -> state
	names := map[string]string{}
	out := map[string]string{}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
		if i > 0 && ev.Time.Before(evs[i-1].Time.Add(-time.Second)) {
			t.Errorf("event %d goes back in time", i)
		}
		key := ev.RunID
		if ev.ParentRunID != "" {
			names[ev.RunID] = ev.ParentStep
		}
		switch ev.Kind {
		case engine.EventRunStarted:
			if runs[key] != "" {
				t.Errorf("run %s started twice", key)
			}
			runs[key] = "running"
			continue
		case engine.EventRunFinished:
			if runs[key] != "running" {
				t.Errorf("run %s finished while %q", key, runs[key])
			}
			runs[key] = "finished"
			if ev.ParentRunID == "" && ev.Report == nil {
				t.Errorf("run_finished of %s has no report", key)
			}
			continue
		}
		if runs[key] != "running" {
			t.Errorf("event %d (%s %s) outside its run (%q)", i, ev.Kind, ev.Step, runs[key])
		}
		sk := key + ":" + ev.Step
		st := steps[sk]
		if st == nil {
			st = &stepState{}
			steps[sk] = st
		}
		switch ev.Kind {
		case engine.EventStepStarted:
			st.started++
		case engine.EventStepFinished:
			st.finished++
			if st.started != 1 {
				t.Errorf("step %s finished without being started", sk)
			}
			label := ev.Step
			if p := names[ev.RunID]; p != "" {
				label = p + "/" + ev.Step
			}
			out[label] = ev.Status
		case engine.EventItemStarted, engine.EventItemFinished, engine.EventLog, engine.EventRetry, engine.EventRepeat, engine.EventConfirmAsked, engine.EventConfirmAnswered:
			if ev.Step != "" && (st.started != 1 || st.finished != 0) {
				t.Errorf("%s event of step %s outside its started/finished", ev.Kind, sk)
			}
		}
	}
	for sk, st := range steps {
		if st.started != 1 || st.finished != 1 {
			t.Errorf("step %s: %d started, %d finished; want 1 and 1", sk, st.started, st.finished)
		}
	}
	for id, state := range runs {
		if state != "finished" {
			t.Errorf("run %s never finished", id)
		}
	}
	if n := len(evs); n == 0 || evs[n-1].Kind != engine.EventRunFinished || evs[n-1].ParentRunID != "" {
		t.Errorf("the stream does not end with the run's run_finished")
	}
	return out
}

func collect(t *testing.T, h *Handle) []Event {
	t.Helper()
	wait(t, h)
	// A subscriber attaching after the end gets the whole replay.
	return drain(t, h.Events().Subscribe(0))
}

func countKind(evs []Event, kind engine.EventKind, step string) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == kind && (step == "" || ev.Step == step) {
			n++
		}
	}
	return n
}

func TestEventGrammarOverEveryOutcome(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sub.yaml"), []byte(`version: 1
name: sub
steps:
  - {id: inner, op: control.log, with: {message: from the sub-run}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "all.yaml")
	if err := os.WriteFile(path, []byte(`version: 1
name: everything
steps:
  - {id: hello, op: control.log, with: {message: hi}}
  - {id: skipped, op: control.noop, when: "1 > 2"}
  - id: echo
    op: shell.exec
    with: {script: "echo out; echo err >&2"}
  - id: fan
    op: control.assert
    foreach: "[1, 2, 3]"
    fail_fast: false
    with: {that: "${{ item != 2 }}"}
    continue_on_error: true
  - id: flaky
    op: control.fail
    with: {message: nope}
    retry: {attempts: 2, delay: 1ms}
    needs: [hello]
    continue_on_error: true
  - id: slow
    op: control.sleep
    with: {duration: 10s}
    timeout: 50ms
    needs: [hello]
  - {id: after_slow, op: control.noop, needs: [slow]}
  - id: nested
    op: playbook.run
    with: {path: sub.yaml}
    needs: [hello]
on_failure:
  - {id: alert, op: control.log, with: {message: failed, level: warn}}
finally:
  - {id: tidy, op: control.noop}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, h)
	got := checkGrammar(t, evs)
	want := map[string]string{
		"hello": "succeeded", "skipped": "skipped", "echo": "succeeded", "fan": "failed", "flaky": "failed",
		"slow": "failed", "after_slow": "skipped", "nested": "succeeded", "nested/inner": "succeeded",
		"alert": "succeeded", "tidy": "succeeded",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step outcomes (-want +got):\n%s", diff)
	}
	if n := countKind(evs, engine.EventItemStarted, "fan"); n != 3 {
		t.Errorf("%d item_started for fan, want 3", n)
	}
	if n := countKind(evs, engine.EventItemFinished, "fan"); n != 3 {
		t.Errorf("%d item_finished for fan, want 3", n)
	}
	if n := countKind(evs, engine.EventRetry, "flaky"); n != 1 {
		t.Errorf("%d retry events for flaky, want 1", n)
	}
	var logs []string
	for _, ev := range evs {
		if ev.Kind == engine.EventLog {
			logs = append(logs, ev.Step+"/"+ev.Stream+"/"+ev.Message)
		}
		if ev.Kind == engine.EventStepStarted && ev.Step == "fan" && ev.Items != 3 {
			t.Errorf("fan's step_started says %d items", ev.Items)
		}
		if ev.Kind == engine.EventStepFinished && ev.Step == "skipped" && !strings.Contains(ev.Reason, "when is false") {
			t.Errorf("skipped has reason %q", ev.Reason)
		}
		if ev.Kind == engine.EventRunStarted && ev.ParentRunID != "" && ev.ParentStep != "nested" {
			t.Errorf("the sub-run names parent step %q", ev.ParentStep)
		}
	}
	sort.Strings(logs)
	for _, want := range []string{"alert//failed", "echo/stderr/err", "echo/stdout/out", "hello//hi", "inner//from the sub-run"} {
		if !contains(logs, want) {
			t.Errorf("no log event %q in %v", want, logs)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestEventGrammarCancelAndResume(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, Config{StateDir: dir}, Limits{})
	path := writePlaybook(t, `version: 1
name: twice
inputs:
  fail: {type: bool, default: true}
steps:
  - {id: first, op: control.set, with: {v: 1}}
  - {id: second, op: control.assert, with: {that: "${{ !inputs.fail }}"}}
  - {id: third, op: control.noop}
`)
	h, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	checkGrammar(t, collect(t, h))
	if rep.Status != report.StatusFailed {
		t.Fatalf("first run %s", rep.Status)
	}
	h2, err := m.Start(context.Background(), Request{Path: path, Resume: rep, InputText: map[string]string{"fail": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, h2)
	got := checkGrammar(t, evs)
	if diff := cmp.Diff(map[string]string{"first": "succeeded", "second": "succeeded", "third": "succeeded"}, got); diff != "" {
		t.Errorf("resumed outcomes (-want +got):\n%s", diff)
	}
	for _, ev := range evs {
		if ev.Kind == engine.EventStepFinished && ev.Step == "first" && !strings.Contains(ev.Reason, "reused") {
			t.Errorf("the reused step's reason is %q", ev.Reason)
		}
	}

	h3, err := m.Start(context.Background(), Request{Path: writePlaybook(t, sleeper)})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h3)
	h3.Cancel(nil)
	got = checkGrammar(t, collect(t, h3))
	if diff := cmp.Diff(map[string]string{"nap": "cancelled", "tidy": "succeeded"}, got); diff != "" {
		t.Errorf("cancelled outcomes (-want +got):\n%s", diff)
	}
}

func TestEventGrammarOfPreflightDenial(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, `version: 1
name: denied
steps:
  - {id: look, op: control.noop}
  - {id: act, op: shell.exec, with: {command: ["true"]}}
`), Caller: Caller{Roles: []string{"viewer"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := checkGrammar(t, collect(t, h))
	if diff := cmp.Diff(map[string]string{"look": "skipped", "act": "denied"}, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if len(h.Denied()) != 1 {
		t.Errorf("Denied() = %v", h.Denied())
	}
}

// A subscriber that cannot keep up does not slow the run: once it is more
// than the stream keeps behind, it misses events and is told so; a
// panicking observer stops alone.
func TestSlowAndPanickingSubscribers(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nname: many\nsteps:\n")
	for i := 0; i < 4500; i++ {
		fmt.Fprintf(&b, "  - {id: s%d, op: control.noop}\n", i)
	}
	// A log event an item: more events than the stream keeps.
	fmt.Fprintf(&b, "  - {id: logs, op: control.log, foreach: \"1..%d\", with: {message: \"item ${{ item }}\"}}\n", DefaultReplay)
	path := writePlaybook(t, b.String())
	m := newManager(t, Config{}, Limits{})

	run := func(attach func(*Handle)) (time.Duration, *Handle) {
		start := time.Now()
		h, err := m.Start(context.Background(), Request{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		attach(h)
		wait(t, h)
		return time.Since(start), h
	}
	alone, _ := run(func(*Handle) {})

	var slowSub *Subscription
	var panicked atomic.Value
	withSlow, _ := run(func(h *Handle) {
		slowSub = h.Events().Subscribe(0)
		h.Events().Observe(engine.ObserverFunc(func(ev Event) {
			if ev.Kind == engine.EventStepFinished {
				panic("observer bug")
			}
		}), func(v any) { panicked.Store(v) })
	})
	defer slowSub.Cancel()
	// Read the slow subscriber now, slowly: it must find a dropped marker.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var dropped uint64
	n := 0
	for {
		ev, ok := slowSub.Next(ctx)
		if !ok {
			break
		}
		n++
		if ev.Kind == KindDropped {
			dropped += ev.Dropped
		}
	}
	if dropped == 0 {
		t.Errorf("a subscriber that did not read during a run of %d events saw no dropped marker", n)
	}
	// A run the subscriber slowed is slower every time; a machine busy
	// with other work slows a run now and then: measure again before
	// blaming the subscriber.
	for try := 1; withSlow > 3*alone+2*time.Second; try++ {
		if try == 3 {
			t.Errorf("the run took %s with a slow subscriber, %s without (the last of %d tries)", withSlow, alone, try)
			break
		}
		t.Logf("try %d: the run took %s with a slow subscriber, %s without; measuring again", try, withSlow, alone)
		alone, _ = run(func(*Handle) {})
		withSlow, _ = run(func(h *Handle) {
			sub := h.Events().Subscribe(0)
			t.Cleanup(sub.Cancel)
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for panicked.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if panicked.Load() == nil {
		t.Error("the panicking observer's panic was not reported")
	}
}

// TestEventGrammarOfRescueHandlersNotify checks the grammar over rescue
// steps (after the step they rescue has finished, before its dependents
// start), the outcome handlers, repeat and matrix steps and notify
// entries: each step has exactly one step_started and one step_finished.
func TestEventGrammarOfRescueHandlersNotify(t *testing.T) {
	reg := newRegistry(t)
	var sent atomic.Int32
	// A stand-in that counts, in place of the real one where it is built
	// in.
	reg.Unregister("notify.webhook")
	reg.MustRegister(ops.Spec{Name: "notify.webhook", Risk: ops.RiskWrite, Params: []ops.Param{
		{Name: "url", Type: ops.TypeString, Required: true}, {Name: "text", Type: ops.TypeString, Required: true},
	}}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		sent.Add(1)
		return map[string]any{"status": 200}, nil
	}))
	m := newManager(t, Config{Registry: reg}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, `version: 1
name: grammar
steps:
  - id: deploy
    op: control.fail
    rescue:
      - {id: rollback, op: control.log, with: {message: rolling back}}
      - {id: undo, op: control.noop}
  - id: poll
    op: control.set
    with: {n: 1}
    repeat: {until: attempt >= 3, every: 1ms, timeout: 1m}
  - id: grid
    op: control.log
    foreach: {matrix: {a: [1, 2], b: [x]}}
    with: {message: "${{ item.a }}${{ item.b }}"}
  - id: fine
    op: control.noop
    rescue: [{id: unused, op: control.noop}]
  - {id: broken, op: control.fail}
on_success:
  - {id: yay, op: control.noop}
on_failure:
  - {id: page, op: control.log, with: {message: "${{ join(run.failed_steps, ',') }}"}}
on_cancel:
  - {id: cancelled, op: control.noop}
finally:
  - {id: tidy, op: control.noop}
notify:
  - {on: [failure], webhook: {url: "http://127.0.0.1:9/hook"}}
  - {id: quiet, on: [success], webhook: {url: "http://127.0.0.1:9/hook"}}
`)})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, h)
	got := checkGrammar(t, evs)
	want := map[string]string{
		"deploy": "failed", "rollback": "succeeded", "undo": "succeeded", "poll": "succeeded", "grid": "succeeded",
		"fine": "succeeded", "unused": "skipped", "broken": "failed", "yay": "skipped", "page": "succeeded",
		"cancelled": "skipped", "tidy": "succeeded", "notify_1": "succeeded", "quiet": "skipped",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step outcomes (-want +got):\n%s", diff)
	}
	if n := countKind(evs, engine.EventRepeat, "poll"); n != 2 {
		t.Errorf("%d repeat events for poll, want 2", n)
	}
	if n := sent.Load(); n != 1 {
		t.Errorf("%d notifications sent, want 1", n)
	}
	// The rescue steps come after deploy has finished and before poll,
	// which needs deploy, starts; their events name the step they rescue.
	order := map[string]int{}
	for i, ev := range evs {
		if ev.Kind == engine.EventStepStarted || ev.Kind == engine.EventStepFinished {
			order[string(ev.Kind)+":"+ev.Step] = i
		}
		if ev.Step == "rollback" && ev.Kind == engine.EventStepStarted && (ev.RescueOf != "deploy" || ev.Section != "rescue") {
			t.Errorf("rollback's step_started: rescue_of %q, section %q", ev.RescueOf, ev.Section)
		}
	}
	if !(order["step_finished:deploy"] < order["step_started:rollback"] && order["step_finished:undo"] < order["step_started:poll"]) {
		t.Errorf("rescue steps out of place: %v", order)
	}
	if !(order["step_finished:tidy"] < order["step_started:notify_1"]) {
		t.Errorf("notify ran before finally ended: %v", order)
	}
}
