package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRescue checks rescue steps: they run when their step fails, and when
// they succeed the run goes on, the step's dependents run and the report
// shows the step failed and rescued besides its rescue steps; when the
// rescue fails, the run fails naming both; when the step succeeds, its
// rescue steps are skipped.
func TestRescue(t *testing.T) {
	e, _ := newEngine(t)
	src := header + `
inputs:
  fail_deploy: {type: bool, default: true}
  fail_rollback: {type: bool, default: false}
steps:
  - id: deploy
    op: control.assert
    with: {that: "${{ !inputs.fail_deploy }}", message: deploy broke}
    rescue:
      - id: rollback
        op: control.assert
        with: {that: "${{ !inputs.fail_rollback }}", message: rollback broke}
      - id: note
        op: control.set
        with: {why: "${{ steps.deploy.error.message }}", rescued_yet: "${{ steps.deploy.rescued }}"}
  - id: after
    op: control.set
    with: {rescued: "${{ steps.deploy.rescued }}", rollback: "${{ steps.rollback.status }}"}
finally:
  - id: summary
    op: control.set
    with: {failed: "${{ run.failed_steps }}", status: "${{ run.status }}"}
`
	p := plan(t, e, src)

	rep := mustRun(t, p, nil)
	want := map[string]report.Status{"deploy": "failed", "rollback": "succeeded", "note": "succeeded", "after": "succeeded", "summary": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("rescued: statuses (-want +got):\n%s", diff)
	}
	if rep.Status != report.StatusSucceeded {
		t.Errorf("rescued: run %s %+v", rep.Status, rep.Error)
	}
	d := stepOf(t, rep, "deploy")
	if !d.Rescued || d.Error == nil || !strings.Contains(d.Error.Message, "deploy broke") {
		t.Errorf("deploy: rescued %v, error %+v", d.Rescued, d.Error)
	}
	if r := stepOf(t, rep, "rollback"); r.Section != "rescue" || r.RescueOf != "deploy" {
		t.Errorf("rollback: section %q, rescue_of %q", r.Section, r.RescueOf)
	}
	if diff := cmp.Diff(map[string]any{"why": "deploy broke", "rescued_yet": false}, stepOf(t, rep, "note").Output); diff != "" {
		t.Errorf("note (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"rescued": true, "rollback": "succeeded"}, stepOf(t, rep, "after").Output); diff != "" {
		t.Errorf("after (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"failed": []any{}, "status": "succeeded"}, stepOf(t, rep, "summary").Output); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	rep = mustRun(t, p, map[string]any{"fail_rollback": true})
	want = map[string]report.Status{"deploy": "failed", "rollback": "failed", "note": "skipped", "after": "skipped", "summary": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("rescue failed: statuses (-want +got):\n%s", diff)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || !strings.Contains(rep.Error.Message, "step deploy failed: deploy broke; its rescue did not recover it: step rollback failed: rollback broke") {
		t.Errorf("rescue failed: run %s %+v", rep.Status, rep.Error)
	}
	if stepOf(t, rep, "deploy").Rescued {
		t.Error("deploy is marked rescued although its rescue failed")
	}
	if diff := cmp.Diff(map[string]any{"failed": []any{"deploy", "rollback"}, "status": "failed"}, stepOf(t, rep, "summary").Output); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	rep = mustRun(t, p, map[string]any{"fail_deploy": false})
	if s := stepOf(t, rep, "rollback"); s.Status != report.StatusSkipped || s.Reason != "deploy did not fail" {
		t.Errorf("deploy succeeded: rollback %s %q", s.Status, s.Reason)
	}
	if rep.Status != report.StatusSucceeded {
		t.Errorf("deploy succeeded: run %s", rep.Status)
	}
}

// TestRescueWithOneSlot runs a failing step in a graph of parallel steps
// with max_parallel 1: its rescue steps take their own slot, after the
// step has given its back, so they neither deadlock nor overlap other
// steps.
func TestRescueWithOneSlot(t *testing.T) {
	e, to := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
max_parallel: 1
steps:
  - {id: a, op: test.busy, needs: []}
  - id: b
    op: test.busy
    needs: []
    with: {fail: true}
    rescue:
      - {id: rb, op: test.busy}
      - {id: rb2, op: test.busy}
  - {id: c, op: test.busy, needs: []}
  - {id: d, op: test.busy, needs: [b]}
`), nil)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s %+v\n%s", rep.Status, rep.Error, dump(rep))
	}
	if n := to.maxSeen.Load(); n != 1 {
		t.Errorf("%d steps ran at once with max_parallel 1", n)
	}
}

// TestOutcomeHandlers checks that exactly one of on_success, on_failure
// and on_cancel runs, by how the steps ended, before finally; and that a
// failing on_success step fails a run that had succeeded.
func TestOutcomeHandlers(t *testing.T) {
	e, _ := newEngine(t)
	src := header + `
inputs:
  fail: {type: bool, default: false}
  nap: {type: string, default: 1ms}
  sour: {type: bool, default: false}
steps:
  - {id: work, op: control.sleep, with: {duration: "${{ inputs.nap }}"}}
  - {id: check, op: control.assert, with: {that: "${{ !inputs.fail }}"}}
on_success:
  - {id: yay, op: control.assert, with: {that: "${{ !inputs.sour }}", message: sour}}
on_failure:
  - {id: page, op: control.noop}
on_cancel:
  - {id: cleanup, op: control.set, with: {status: "${{ run.status }}", failed: "${{ run.failed_steps }}"}}
finally:
  - {id: tidy, op: control.noop}
`
	p := plan(t, e, src)
	rep := mustRun(t, p, nil)
	want := map[string]report.Status{"work": "succeeded", "check": "succeeded", "yay": "succeeded", "page": "skipped", "cleanup": "skipped", "tidy": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("succeeded: (-want +got):\n%s", diff)
	}
	if r := stepOf(t, rep, "cleanup").Reason; r != "the run was not cancelled" {
		t.Errorf("cleanup's reason %q", r)
	}

	rep = mustRun(t, p, map[string]any{"fail": true})
	want = map[string]report.Status{"work": "succeeded", "check": "failed", "yay": "skipped", "page": "succeeded", "cleanup": "skipped", "tidy": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("failed: (-want +got):\n%s", diff)
	}

	rep = mustRun(t, p, map[string]any{"sour": true})
	if rep.Status != report.StatusFailed || rep.Error == nil || !strings.Contains(rep.Error.Message, "step yay failed: sour") {
		t.Errorf("a failing on_success step: run %s %+v", rep.Status, rep.Error)
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(ops.WithClass(ops.ClassCancelled, errors.New("interrupted by SIGINT"))) })
	rep, err := p.Run(ctx, map[string]any{"nap": "1m"})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]report.Status{"work": "cancelled", "check": "skipped", "yay": "skipped", "page": "skipped", "cleanup": "succeeded", "tidy": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("cancelled: (-want +got):\n%s\n%s", diff, dump(rep))
	}
	if diff := cmp.Diff(map[string]any{"status": "cancelled", "failed": []any{"work"}}, stepOf(t, rep, "cleanup").Output); diff != "" {
		t.Errorf("on_cancel sees (-want +got):\n%s", diff)
	}
	if rep.Status != report.StatusCancelled {
		t.Errorf("cancelled run ended %s", rep.Status)
	}
}

// notifier is a notify.webhook stand-in that records what it is asked to
// send, and fails when told to.
type notifier struct {
	mu   sync.Mutex
	sent []ops.Params
	fail bool
	hang bool // wait for the call's context to end
}

func (n *notifier) register(r *ops.Registry) {
	r.MustRegister(ops.Spec{Name: "notify.webhook", Risk: ops.RiskWrite, Params: []ops.Param{
		{Name: "url", Type: ops.TypeString, Required: true},
		{Name: "format", Type: ops.TypeString, Default: "json"},
		{Name: "text", Type: ops.TypeString, Required: true},
		{Name: "title", Type: ops.TypeString},
		{Name: "fields", Type: ops.TypeMap},
		{Name: "link", Type: ops.TypeString},
	}}, ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
		if n.hang {
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		n.sent = append(n.sent, p)
		if n.fail {
			return nil, errors.New("receiver down")
		}
		return map[string]any{"status": 200}, nil
	}))
}

// TestNotify sends the notify: entries whose outcomes match how the run
// ended, with the run summary in what they leave out, after finally; an
// entry that fails to send leaves the run's status alone.
func TestNotify(t *testing.T) {
	n := &notifier{}
	to := newTestOps()
	e := New(registry(t, to.register, n.register))
	p := plan(t, e, header+`
inputs:
  fail: {type: bool, default: true}
  hook: {type: string, secret: true, default: "https://hooks.example/T0/B0/xyz"}
steps:
  - {id: build, op: control.noop}
  - {id: test, op: control.assert, with: {that: "${{ !inputs.fail }}", message: "2 tests failed"}}
finally:
  - {id: tidy, op: control.noop}
notify:
  - on: [failure, cancelled]
    webhook: {url: "${{ inputs.hook }}", format: slack}
  - id: custom
    on: [failure]
    webhook: {url: "${{ inputs.hook }}", text: "custom: ${{ steps.test.error.message }} (${{ steps.tidy.status }})"}
  - id: good
    on: success
    webhook: {url: "${{ inputs.hook }}"}
`)
	rep := mustRun(t, p, nil, WithRunID("r1"), WithRunURL("https://runs.example/runs/r1"))
	want := map[string]report.Status{"build": "succeeded", "test": "failed", "tidy": "succeeded", "notify_1": "succeeded", "custom": "succeeded", "good": "skipped"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(n.sent) != 2 {
		t.Fatalf("%d notifications sent, want 2", len(n.sent))
	}
	byText := map[string]ops.Params{}
	for _, s := range n.sent {
		byText[s.String("text")[:6]] = s
	}
	summary := byText["Run r1"]
	if summary == nil {
		t.Fatalf("no summary notification among %v", n.sent)
	}
	if got := summary.String("text"); got != "Run r1 of t failed; failed steps: test." {
		t.Errorf("text %q", got)
	}
	if diff := cmp.Diff(map[string]any{"status": "failed", "run": "r1", "failed steps": "test"}, summary.Map("fields")); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if summary.String("link") != "https://runs.example/runs/r1" || summary.String("title") != "t failed" || summary.String("format") != "slack" {
		t.Errorf("link %q, title %q, format %q", summary.String("link"), summary.String("title"), summary.String("format"))
	}
	if got := byText["custom"].String("text"); got != "custom: 2 tests failed (succeeded)" {
		t.Errorf("custom text %q", got)
	}
	if s := stepOf(t, rep, "good"); !strings.Contains(s.Reason, "the run failed; this entry is sent on success") {
		t.Errorf("good's reason %q", s.Reason)
	}
	if s := stepOf(t, rep, "notify_1"); s.Section != "notify" {
		t.Errorf("notify_1 is in section %q", s.Section)
	}

	n.sent, n.fail = nil, true
	rep = mustRun(t, p, map[string]any{"fail": false})
	if rep.Status != report.StatusSucceeded || statuses(rep)["good"] != report.StatusFailed {
		t.Errorf("a notification that fails: run %s, good %s", rep.Status, statuses(rep)["good"])
	}
	if len(n.sent) != 1 || n.sent[0].String("text") != "Run "+rep.RunID+" of t succeeded." || n.sent[0].String("link") != "" {
		t.Errorf("sent %v", n.sent)
	}
}

// TestCancelDuringOnSuccess: a run cancelled while on_success runs ends
// cancelled; finally sees it so, and on_cancel, which runs for a run
// cancelled during its steps, says why it was passed over.
func TestCancelDuringOnSuccess(t *testing.T) {
	e, _ := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled as on_success's step starts, whatever the machine's load.
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventStepStarted && ev.Step == "os" {
			cancel()
		}
	})
	rep, _ := plan(t, e, header+`
steps:
  - {id: a, op: control.noop}
on_success:
  - {id: os, op: control.sleep, with: {duration: 1s}}
on_cancel:
  - {id: oc, op: control.noop}
finally:
  - {id: f, op: control.set, with: {status: "${{ run.status }}"}}
`).Run(ctx, nil, WithRunObserver(obs))
	if rep.Status != "cancelled" {
		t.Fatalf("run %s", rep.Status)
	}
	if r := stepOf(t, rep, "oc").Reason; !strings.Contains(r, "cancelled after its steps had ended") {
		t.Errorf("on_cancel's reason: %q", r)
	}
	if got := stepOf(t, rep, "f").Output; fmt.Sprint(got) != "map[status:cancelled]" {
		t.Errorf("finally saw %v", got)
	}
}
