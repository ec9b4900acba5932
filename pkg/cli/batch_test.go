package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestRunLogsRollingBatches: piped, a serial: fan-out logs each batch's
// start and end at info, naming its items by label; in JSON with the
// batch, its items' indexes and labels and the counts so far as fields.
func TestRunLogsRollingBatches(t *testing.T) {
	dir := t.TempDir()
	pb := e2eFile(t, dir, "roll.yaml", `version: 1
name: roll
steps:
  - id: restart
    op: control.log
    foreach: '${{ map(1..5, ({"name": "web-" + string(#)})) }}'
    serial: 2
    with: {message: "restarting ${{ item.name }}"}
`)
	state := filepath.Join(dir, "state")
	res := runMain(t, "run", pb, "--state-dir", state)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"INF batch 1 of 3 started: items web-1 (#0) to web-2 (#1) done=0 items=5 failed=0 step=restart",
		"INF batch 2 of 3 finished: items web-3 (#2) to web-4 (#3) done=4 items=5 failed=0 duration=",
		"INF batch 3 of 3 started: item web-5 (#4) done=4",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("console log lacks %q:\n%s", want, res.stderr)
		}
	}

	res = runMain(t, "run", pb, "--state-dir", state, "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var got []map[string]any
	for line := range strings.Lines(res.stderr) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			continue
		}
		if msg, _ := m["message"].(string); strings.HasPrefix(msg, "batch ") {
			delete(m, "time")
			delete(m, "run_id")
			delete(m, "duration_ms")
			got = append(got, m)
		}
	}
	line := func(msg string, batch, first, last float64, firstLabel, lastLabel string, done float64) map[string]any {
		return map[string]any{"level": "info", "step": "restart", "op": "control.log", "message": msg, "batch": batch, "batches": 3.0,
			"first": first, "last": last, "first_label": firstLabel, "last_label": lastLabel, "done": done, "items": 5.0, "failed": 0.0}
	}
	want := []map[string]any{
		line("batch 1 of 3 started: items web-1 (#0) to web-2 (#1)", 1, 0, 1, "web-1", "web-2", 0),
		line("batch 1 of 3 finished: items web-1 (#0) to web-2 (#1)", 1, 0, 1, "web-1", "web-2", 2),
		line("batch 2 of 3 started: items web-3 (#2) to web-4 (#3)", 2, 2, 3, "web-3", "web-4", 2),
		line("batch 2 of 3 finished: items web-3 (#2) to web-4 (#3)", 2, 2, 3, "web-3", "web-4", 4),
		line("batch 3 of 3 started: item web-5 (#4)", 3, 4, 4, "web-5", "web-5", 4),
		line("batch 3 of 3 finished: item web-5 (#4)", 3, 4, 4, "web-5", "web-5", 5),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON batch lines (-want +got):\n%s", diff)
	}
}

// TestLiveViewShowsRollingBatch: a serial: fan-out's row names the batch
// under way by its first and last items' labels (their indexes when they
// have none), and each finished batch leaves a line with the counts so
// far, the one that stops the rollout saying why.
func TestLiveViewShowsRollingBatch(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 160)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	redraw := func() string {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.redraw()
		return viewCodes.ReplaceAllString(out.String(), "")
	}
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "roll", Op: "ssh.exec", Items: 10})
	ev(engine.Event{Kind: engine.EventBatchStarted, Step: "roll", Items: 10, Batch: &engine.Batch{Number: 1, Of: 4, First: 0, Last: 2, FirstLabel: "web-1", LastLabel: "web-3"}})
	ev(engine.Event{Kind: engine.EventBatchFinished, Step: "roll", Items: 10, DurationMS: 1200,
		Batch: &engine.Batch{Number: 1, Of: 4, First: 0, Last: 2, FirstLabel: "web-1", LastLabel: "web-3", SoFar: engine.ItemCounts{Succeeded: 2, Failed: 1}}})
	ev(engine.Event{Kind: engine.EventBatchStarted, Step: "roll", Items: 10, Batch: &engine.Batch{Number: 2, Of: 4, First: 3, Last: 5, FirstLabel: "web-4", LastLabel: "web-6"}})
	if got := redraw(); !strings.Contains(got, "⋯ roll ") || !strings.Contains(got, "batch 2 of 4: web-4..web-6") {
		t.Errorf("the running row lacks its batch:\n%s", got)
	}
	if got := redraw(); !strings.Contains(got, "› roll  batch 1 of 4: web-1..web-3 finished in 1.2s, 3/10 items done, 1 failed\n") {
		t.Errorf("the first batch left no line:\n%s", got)
	}
	ev(engine.Event{Kind: engine.EventBatchFinished, Step: "roll", Items: 10, DurationMS: 900, Err: "batch 2 of 4 (items web-4 (#3) to web-6 (#5)) had 2 of 3 items fail, over max_fail_percentage 50%",
		Batch: &engine.Batch{Number: 2, Of: 4, First: 3, Last: 5, FirstLabel: "web-4", LastLabel: "web-6", SoFar: engine.ItemCounts{Succeeded: 3, Failed: 3}}})
	if got := redraw(); !strings.Contains(got, "! roll  batch 2 of 4: web-4..web-6 finished in 900ms, 6/10 items done, 3 failed; rollout stopped: batch 2 of 4 (items web-4 (#3) to web-6 (#5)) had 2 of 3 items fail") {
		t.Errorf("the batch that stopped the rollout does not say so:\n%s", got)
	}
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "plain", Op: "control.log", Items: 9})
	ev(engine.Event{Kind: engine.EventBatchStarted, Step: "plain", Items: 9, Batch: &engine.Batch{Number: 3, Of: 3, First: 6, Last: 8}})
	if got := redraw(); !strings.Contains(got, "batch 3 of 3: #6..#8") {
		t.Errorf("a batch without labels is not named by index:\n%s", got)
	}
	v.close()
}

// TestLiveViewIgnoresAStrayBatch: a batch event without its batch, or of
// a step not shown, changes nothing.
func TestLiveViewIgnoresAStrayBatch(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 160)
	v.Event(engine.Event{Kind: engine.EventRunStarted, RunID: "r"})
	v.Event(engine.Event{Kind: engine.EventBatchStarted, RunID: "r", Step: "gone", Batch: &engine.Batch{Number: 1, Of: 2}})
	v.Event(engine.Event{Kind: engine.EventStepStarted, RunID: "r", Step: "roll"})
	v.Event(engine.Event{Kind: engine.EventBatchFinished, RunID: "r", Step: "roll"})
	v.close()
	if got := out.String(); strings.Contains(got, "batch") {
		t.Errorf("a stray batch event shows:\n%s", got)
	}
}
