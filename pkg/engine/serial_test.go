package engine

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// itemEvents records the item events of a run, in order.
type itemEvents struct {
	mu  sync.Mutex
	evs []Event
}

func (o *itemEvents) Event(ev Event) {
	if ev.Kind != EventItemStarted && ev.Kind != EventItemFinished {
		return
	}
	o.mu.Lock()
	o.evs = append(o.evs, ev)
	o.mu.Unlock()
}

// batchesOf checks that items ran in the given batches, one batch after
// the other: every item of a batch finished before any item of the next
// started. It returns the items that started, in order of index.
func (o *itemEvents) checkBatches(t *testing.T, batches [][]int) []int {
	t.Helper()
	batchOf := map[int]int{}
	for b, items := range batches {
		for _, i := range items {
			batchOf[i] = b
		}
	}
	finished := map[int]int{} // batch -> items finished so far
	started := map[int]bool{}
	for _, ev := range o.evs {
		i := *ev.Index
		b, ok := batchOf[i]
		if !ok {
			t.Errorf("item %d has an %s event but is in no batch that should run", i, ev.Kind)
			continue
		}
		switch ev.Kind {
		case EventItemStarted:
			started[i] = true
			if b > 0 && finished[b-1] != len(batches[b-1]) {
				t.Errorf("item %d (batch %d) started before batch %d finished", i, b+1, b)
			}
		case EventItemFinished:
			if !started[i] {
				t.Errorf("item %d finished without starting", i)
			}
			finished[b]++
		}
	}
	var out []int
	for i := range 100 {
		if started[i] {
			out = append(out, i)
		}
	}
	return out
}

func itemStatuses(s report.Step) []report.Status {
	var out []report.Status
	for _, it := range s.Items {
		out = append(out, it.Status)
	}
	return out
}

// TestSerialBatches runs items a batch at a time: a whole batch at once
// when no concurrency is given, each batch after the one before.
func TestSerialBatches(t *testing.T) {
	for _, tc := range []struct {
		name, keys string
		batches    [][]int
		most       int32
	}{
		{"serial: 2", "serial: 2", [][]int{{0, 1}, {2, 3}, {4}}, 2},
		{"serial: 40% of 5 items", "serial: 40%", [][]int{{0, 1}, {2, 3}, {4}}, 2},
		{"serial with concurrency 1", "{serial: 3, concurrency: 1}", [][]int{{0, 1, 2}, {3, 4}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, to := newEngine(t)
			keys := strings.Trim(tc.keys, "{}")
			obs := &itemEvents{}
			rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: fan, op: test.busy, foreach: 0..4, `+keys+`, with: {wait: 30ms}}
`), nil, WithRunObserver(obs))
			fan := stepOf(t, rep, "fan")
			if fan.Status != report.StatusSucceeded {
				t.Fatalf("step %s: %+v", fan.Status, fan.Error)
			}
			if got := obs.checkBatches(t, tc.batches); len(got) != 5 {
				t.Errorf("items started: %v", got)
			}
			if n := to.maxSeen.Load(); n != tc.most {
				t.Errorf("%d items ran at once, want %d", n, tc.most)
			}
		})
	}
}

// TestSerialFailFast stops at the first failure: its batch is cancelled
// and no later batch starts; those items say why.
func TestSerialFailFast(t *testing.T) {
	e, _ := newEngine(t)
	obs := &itemEvents{}
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: fan
    op: test.busy
    foreach: 0..5
    serial: 2
    with: {fail: "${{ item == 1 }}", wait: "${{ item == 0 ? '1m' : '20ms' }}"}
`), nil, WithRunObserver(obs))
	fan := stepOf(t, rep, "fan")
	// Item 0 has mostly started by the time item 1 fails; on a loaded
	// machine it may be cancelled before it starts, which is as right.
	if started := obs.checkBatches(t, [][]int{{0, 1}}); !slices.Contains(started, 1) {
		t.Errorf("items started: %v", started)
	}
	want := []report.Status{"cancelled", "failed", "cancelled", "cancelled", "cancelled", "cancelled"}
	if diff := cmp.Diff(want, itemStatuses(fan)); diff != "" {
		t.Errorf("item statuses (-want +got):\n%s", diff)
	}
	if fan.Status != report.StatusFailed || !strings.HasPrefix(fan.Error.Message, "item 1: busy failure") {
		t.Errorf("step %s: %+v", fan.Status, fan.Error)
	}
	if r := fan.Items[4].Reason; r != "not started: item 1 failed and fail_fast is on" {
		t.Errorf("item 4: %q", r)
	}
}

// TestSerialMaxFailPercentage goes on while a batch's failures stay at or
// under the share, and stops before the batch after one that goes over.
func TestSerialMaxFailPercentage(t *testing.T) {
	e, _ := newEngine(t)
	obs := &itemEvents{}
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: fan
    op: test.busy
    foreach: 0..7
    serial: 2
    max_fail_percentage: 50
    with: {fail: "${{ item in [1, 4, 5, 7] }}", wait: 5ms}
`), nil, WithRunObserver(obs))
	fan := stepOf(t, rep, "fan")
	// Batch 1: one of two failed (50%, not over); batch 2: none; batch 3:
	// two of two (100%): batch 4 does not start.
	if started := obs.checkBatches(t, [][]int{{0, 1}, {2, 3}, {4, 5}}); len(started) != 6 {
		t.Errorf("items started: %v", started)
	}
	want := []report.Status{"succeeded", "failed", "succeeded", "succeeded", "failed", "failed", "cancelled", "cancelled"}
	if diff := cmp.Diff(want, itemStatuses(fan)); diff != "" {
		t.Errorf("item statuses (-want +got):\n%s", diff)
	}
	if r := fan.Items[6].Reason; r != "not started: batch 3 of 4 (items 4 to 5) had 2 of 2 items fail, over max_fail_percentage 50%" {
		t.Errorf("item 6: %q", r)
	}
	// The failures stay failures: the step failed, with its first one,
	// after why the rollout stopped.
	if fan.Status != report.StatusFailed || !strings.HasPrefix(fan.Error.Message, "rollout stopped: batch 3 of 4 (items 4 to 5) had 2 of 2 items fail, over max_fail_percentage 50%; item 1: busy failure;") {
		t.Errorf("step %s: %+v", fan.Status, fan.Error)
	}

	// Under the share every batch runs.
	rep = mustRun(t, plan(t, e, header+`
steps:
  - {id: fan, op: test.busy, foreach: 0..5, serial: 3, max_fail_percentage: 34, with: {fail: "${{ item in [0, 4] }}"}}
`), nil)
	want = []report.Status{"failed", "succeeded", "succeeded", "succeeded", "failed", "succeeded"}
	if diff := cmp.Diff(want, itemStatuses(stepOf(t, rep, "fan"))); diff != "" {
		t.Errorf("item statuses under the share (-want +got):\n%s", diff)
	}
}

// TestItemLabels labels each item of inventory.hosts with its host's name,
// in the report and in the item events.
func TestItemLabels(t *testing.T) {
	inv, err := inventory.Parse("fleet.yaml", []byte(`version: 1
hosts:
  web-1: {address: 10.0.0.11}
  web-2: {address: 10.0.0.12, vars: {fail: true}}
  web-3: {address: 10.0.0.13}
groups:
  web: [web-1, web-2, web-3]
`))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - id: fan
    op: test.busy
    foreach: inventory.hosts("web")
    serial: 1
    fail_fast: false
    with: {fail: "${{ item.vars.fail ?? false }}"}
  - {id: plain, op: control.noop, foreach: "[1, 2]", needs: []}
`)
	obs := &itemEvents{}
	rep := mustRun(t, p, nil, WithInventory(inv), WithRunObserver(obs))
	type item struct {
		Label  string
		Status report.Status
	}
	var got []item
	for _, it := range stepOf(t, rep, "fan").Items {
		got = append(got, item{it.Label, it.Status})
	}
	want := []item{{"web-1", "succeeded"}, {"web-2", "failed"}, {"web-3", "succeeded"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	// The step's error names the failed item as the tables do, by its
	// host: "item 1" beside hosts web-N reads as web-1.
	if fan := stepOf(t, rep, "fan"); fan.Error == nil || !strings.HasPrefix(fan.Error.Message, "item web-2 (#1): ") {
		t.Errorf("the step's error does not name the host: %+v", fan.Error)
	}
	for _, it := range stepOf(t, rep, "plain").Items {
		if it.Label != "" {
			t.Errorf("an item without a name got the label %q", it.Label)
		}
	}
	labels := map[string]int{}
	for _, ev := range obs.evs {
		if ev.Step == "fan" {
			labels[ev.Label]++
		}
	}
	if diff := cmp.Diff(map[string]int{"web-1": 2, "web-2": 2, "web-3": 2}, labels); diff != "" {
		t.Errorf("item events by label (-want +got):\n%s", diff)
	}

	// Without an inventory the step fails, saying what to give.
	rep = mustRun(t, p, nil)
	if fan := stepOf(t, rep, "fan"); fan.Status != report.StatusFailed || !strings.Contains(fan.Error.Message, "no inventory is loaded; run with --inventory FILE") {
		t.Errorf("without an inventory: %s %+v", fan.Status, fan.Error)
	}
}

// TestItemEventsPreviewUnlabelledItems gives the item events of an item
// without a label a preview of its value, masked and cut, for a page that
// follows the run to name the item by; a labelled item's events carry its
// label only.
func TestItemEventsPreviewUnlabelledItems(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  token: {type: string, secret: true}
  long: {type: string}
steps:
  - id: fan
    op: control.noop
    foreach: '[7, true, inputs.long, {"k": "v"}, inputs.token, {"name": "web-1"}, "a\nb"]'
`)
	obs := &itemEvents{}
	mustRun(t, p, map[string]any{"token": "s3cret-value", "long": strings.Repeat("x", 300)}, WithRunObserver(obs))
	got, labels := map[int][]any{}, map[int]string{}
	for _, ev := range obs.evs {
		if ev.Label != "" && ev.Item != nil {
			t.Errorf("item %d has the label %q and the value %v", *ev.Index, ev.Label, ev.Item)
		}
		got[*ev.Index] = append(got[*ev.Index], ev.Item)
		labels[*ev.Index] = ev.Label
	}
	// A string item is its own label (masked, cut to maxLabel bytes).
	want := map[int][]any{0: {7, 7}, 1: {true, true}, 2: {nil, nil}, 3: {`{"k":"v"}`, `{"k":"v"}`}, 4: {nil, nil}, 5: {nil, nil}, 6: {"a\nb", "a\nb"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the items' previews on item_started and item_finished (-want +got):\n%s", diff)
	}
	wantLabels := map[int]string{0: "", 1: "", 2: strings.Repeat("x", maxLabel), 3: "", 4: "***", 5: "web-1", 6: ""}
	if diff := cmp.Diff(wantLabels, labels); diff != "" {
		t.Errorf("the items' labels (-want +got):\n%s", diff)
	}
}

// TestItemLabelMaskedBeforeItIsCut: a label is masked, then cut to its
// bound: cut first, a secret that crosses the cut no longer matched the
// masker and its first part showed in the report and every item event.
func TestItemLabelMaskedBeforeItIsCut(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  tok: {type: string, secret: true}
steps:
  - id: fan
    op: control.log
    foreach: '${{ [{"name": "`+strings.Repeat("x", 195)+`" + inputs.tok}] }}'
    with: {message: "hello from the item"}
`)
	// The name crosses the 200-byte cut inside the secret.
	obs := &itemEvents{}
	rep := mustRun(t, p, map[string]any{"tok": "SuperSecretToken123"}, WithRunObserver(obs))
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s", rep.Status)
	}
	labels := []string{stepOf(t, rep, "fan").Items[0].Label}
	for _, ev := range obs.evs {
		labels = append(labels, ev.Label)
	}
	for _, l := range labels {
		if strings.Contains(l, "Super") {
			t.Errorf("a label shows part of the secret: %q", l)
		}
	}
	if want := strings.Repeat("x", 195) + "***"; labels[0] != want {
		t.Errorf("the label %q, want %q", labels[0], want)
	}
}
