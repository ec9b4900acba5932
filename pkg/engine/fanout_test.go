package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestFanoutAttemptsPerItem checks that a fan-out's attempts are the most
// any one item took, not the sum over its items.
func TestFanoutAttemptsPerItem(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: once, op: control.noop, foreach: 0..2}
  - id: flaky
    op: test.flaky
    foreach: 0..2
    with: {key: "k${{ item }}", fails: "${{ item == 1 ? 2 : 0 }}"}
    retry: {attempts: 3, delay: 1ms}
`), nil)
	type got struct {
		Attempts int
		Items    []int
		Counts   map[report.Status]int
	}
	res := map[string]got{}
	for _, s := range rep.Steps {
		g := got{Attempts: s.Attempts, Counts: s.ItemCounts}
		for _, it := range s.Items {
			g.Items = append(g.Items, it.Attempts)
		}
		res[s.ID] = g
	}
	want := map[string]got{
		"once":  {1, []int{1, 1, 1}, map[report.Status]int{"succeeded": 3}},
		"flaky": {3, []int{1, 3, 1}, map[report.Status]int{"succeeded": 3}},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestFanoutFailFastReportsTheFailure checks that with fail_fast the step's
// error is the item that failed, not a sibling it cancelled, and that the
// cancelled sibling says why.
func TestFanoutFailFastReportsTheFailure(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: fan
    op: test.busy
    foreach: 0..1
    concurrency: 2
    with: {fail: "${{ item == 1 }}", wait: "${{ item == 0 ? '1m' : '1ms' }}"}
`), nil)
	fan := stepOf(t, rep, "fan")
	if fan.Status != report.StatusFailed || fan.Error == nil || fan.Error.Class != "execution" || !strings.HasPrefix(fan.Error.Message, "item 1: busy failure") {
		t.Errorf("step: %s %+v", fan.Status, fan.Error)
	}
	if it := fan.Items[0]; it.Status != report.StatusCancelled || !strings.Contains(it.Reason, "item 1 failed and fail_fast is on") {
		t.Errorf("item 0: %s %q", it.Status, it.Reason)
	}
	if rep.Error == nil || rep.Error.Class != "execution" || !strings.HasPrefix(rep.Error.Message, "step fan failed: item 1: busy failure") {
		t.Errorf("run error: %+v", rep.Error)
	}
}

// TestFanoutFailFastSaysAnItemWasDenied checks that the siblings
// fail_fast cancels after an item was denied say it was denied, not that
// it failed.
func TestFanoutFailFastSaysAnItemWasDenied(t *testing.T) {
	e, _ := newEngine(t, WithAuthorizer(runTimeDenials{}))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: fan
    op: test.busy
    foreach: 0..1
    concurrency: 2
    fail_fast: true
    with: {wait: "${{ item == 0 ? '1m' : '1ms' }}"}
`), nil)
	fan := stepOf(t, rep, "fan")
	if fan.Status != report.StatusDenied || fan.Items[1].Status != report.StatusDenied {
		t.Fatalf("step %s, item 1 %s; want both denied", fan.Status, fan.Items[1].Status)
	}
	if it := fan.Items[0]; it.Status != report.StatusCancelled || !strings.Contains(it.Reason, "item 1 was denied and fail_fast is on") {
		t.Errorf("item 0: %s %q, want it cancelled because item 1 was denied", it.Status, it.Reason)
	}
}

// TestFanoutCancelledHasAMessage checks that a fan-out cancelled with the
// run says so in its error.
func TestFanoutCancelledHasAMessage(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - {id: fan, op: test.busy, foreach: 0..5, concurrency: 2, with: {wait: 1m}}
`)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(errors.New("interrupted by SIGINT")) })
	rep, err := p.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	fan := stepOf(t, rep, "fan")
	if fan.Status != report.StatusCancelled || fan.Error == nil || fan.Error.Class != "cancelled" || !strings.Contains(fan.Error.Message, "interrupted by SIGINT") {
		t.Errorf("step: %s %+v", fan.Status, fan.Error)
	}
	for _, it := range fan.Items {
		if it.Status != report.StatusCancelled || it.Reason == "" {
			t.Errorf("item %d: %s %q", it.Index, it.Status, it.Reason)
		}
	}
}
