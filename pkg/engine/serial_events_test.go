package engine

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

// stepEvents records a run's events of step fan, but its log lines.
type stepEvents struct {
	mu  sync.Mutex
	evs []Event
}

func (o *stepEvents) Event(ev Event) {
	if ev.Step != "fan" || ev.Kind == EventLog {
		return
	}
	o.mu.Lock()
	o.evs = append(o.evs, ev)
	o.mu.Unlock()
}

// order sums the events up, one per line: a batch's with its batch, the
// counts so far and its error, an item's with its index.
func (o *stepEvents) order() []string {
	var out []string
	for _, ev := range o.evs {
		switch {
		case ev.Batch != nil:
			b := ev.Batch
			line := fmt.Sprintf("%s %d/%d %d-%d %s-%s %+v", ev.Kind, b.Number, b.Of, b.First, b.Last, b.FirstLabel, b.LastLabel, b.SoFar)
			if ev.Err != "" {
				line += " " + ev.ErrClass + ": " + ev.Err
			}
			out = append(out, line)
		case ev.Index != nil:
			out = append(out, fmt.Sprintf("%s %d", ev.Kind, *ev.Index))
		default:
			out = append(out, string(ev.Kind))
		}
	}
	return out
}

// TestSerialBatchEvents tells each rolling batch by a batch_started
// before its items' events and a batch_finished after them, naming its
// items by label and counting the step's items so far; the batch after
// which max_fail_percentage stops says why, and the batches that never
// start have no events. The run's log says the same at info.
func TestSerialBatchEvents(t *testing.T) {
	var logBuf bytes.Buffer
	e, _ := newEngine(t, WithLog(&logBuf, zerolog.InfoLevel))
	obs := &stepEvents{}
	mustRun(t, plan(t, e, header+`
steps:
  - id: fan
    op: test.busy
    foreach: '${{ map(1..7, ({"name": "web-" + string(#)})) }}'
    serial: 2
    concurrency: 1
    max_fail_percentage: 50
    with: {fail: '${{ item.name in ["web-2", "web-5", "web-6"] }}'}
`), nil, WithRunObserver(obs))
	stop := "batch 3 of 4 (items web-5 (#4) to web-6 (#5)) had 2 of 2 items fail, over max_fail_percentage 50%"
	want := []string{
		"step_started",
		"batch_started 1/4 0-1 web-1-web-2 {Succeeded:0 Failed:0 Denied:0 Cancelled:0 Skipped:0}",
		"item_started 0", "item_finished 0", "item_started 1", "item_finished 1",
		"batch_finished 1/4 0-1 web-1-web-2 {Succeeded:1 Failed:1 Denied:0 Cancelled:0 Skipped:0}",
		"batch_started 2/4 2-3 web-3-web-4 {Succeeded:1 Failed:1 Denied:0 Cancelled:0 Skipped:0}",
		"item_started 2", "item_finished 2", "item_started 3", "item_finished 3",
		"batch_finished 2/4 2-3 web-3-web-4 {Succeeded:3 Failed:1 Denied:0 Cancelled:0 Skipped:0}",
		"batch_started 3/4 4-5 web-5-web-6 {Succeeded:3 Failed:1 Denied:0 Cancelled:0 Skipped:0}",
		"item_started 4", "item_finished 4", "item_started 5", "item_finished 5",
		"batch_finished 3/4 4-5 web-5-web-6 {Succeeded:3 Failed:3 Denied:0 Cancelled:0 Skipped:0} cancelled: " + stop,
		"step_finished",
	}
	if diff := cmp.Diff(want, obs.order()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for _, ev := range obs.evs {
		if ev.Batch != nil && (ev.Items != 7 || ev.Op != "test.busy" || ev.Section != "steps") {
			t.Errorf("%s: items %d, op %q, section %q", ev.Kind, ev.Items, ev.Op, ev.Section)
		}
	}
	log := logBuf.String()
	for _, want := range []string{
		`"step":"fan","op":"test.busy","batch":2,"batches":4,"done":2,"failed":1,"time"`,
		`"message":"batch 2 of 4 started: items web-3 (#2) to web-4 (#3)"}`,
		`"message":"batch 1 of 4 finished: items web-1 (#0) to web-2 (#1)"}`,
		`"level":"warn"`, `"error":"` + stop + `"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the run's log lacks %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, "batch 4 of 4") {
		t.Errorf("a batch that never started is logged:\n%s", log)
	}
}

// TestFanOutWithoutSerialHasNoBatches: a fan-out without serial: is one
// batch, which no event tells.
func TestFanOutWithoutSerialHasNoBatches(t *testing.T) {
	e, _ := newEngine(t)
	obs := &stepEvents{}
	mustRun(t, plan(t, e, header+`
steps:
  - {id: fan, op: test.busy, foreach: 0..2}
`), nil, WithRunObserver(obs))
	for _, ev := range obs.evs {
		if ev.Batch != nil || ev.Kind == EventBatchStarted || ev.Kind == EventBatchFinished {
			t.Errorf("a fan-out without serial: has a %s event", ev.Kind)
		}
	}
}
