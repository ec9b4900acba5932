package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestLiveViewNamesItemOutputByLabel: under a running fan-out, an item's
// output lines are named by its label (a host's name), cleaned of control
// sequences as any label shown on a terminal, and by its index only when
// it has none: "[19]" among 73 hosts names none a reader knows.
func TestLiveViewNamesItemOutputByLabel(t *testing.T) {
	v := newLiveView(&bytes.Buffer{}, palette{}, false, 120)
	defer v.close()
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "restart", Op: "ssh.exec", Items: 3})
	for _, e := range []struct {
		index int
		label string
	}{{0, "web-02"}, {1, "web-\x1b]0;owned\x07\x1b[2J03"}, {2, ""}} {
		i := e.index
		ev(engine.Event{Kind: engine.EventLog, Step: "restart", Op: "ssh.exec", Stream: "stdout", Index: &i, Label: e.label, Message: "restarting"})
	}
	v.mu.Lock()
	got := append([]string(nil), v.running["restart"].lines...)
	v.mu.Unlock()
	want := []string{"[web-02] restarting", "[web-03] restarting", "[2] restarting"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the step's output lines (-want +got):\n%s", diff)
	}
}

// TestLogViewNamesItemOutputByLabel: a log line of an item carries its
// label as its item started and finished lines do: in the console
// format in place of the index after the step, in JSON next to the index;
// an item's retrying and repeating lines carry both.
func TestLogViewNamesItemOutputByLabel(t *testing.T) {
	i, j := 1, 2
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	evs := []engine.Event{
		{Kind: engine.EventLog, RunID: "r1", Time: at, Step: "restart", Op: "ssh.exec", Index: &i, Label: "web-02", Stream: "stdout", Message: "restarting"},
		{Kind: engine.EventLog, RunID: "r1", Time: at, Step: "restart", Op: "ssh.exec", Index: &j, Stream: "stdout", Message: "restarting"},
		{Kind: engine.EventRetry, RunID: "r1", Time: at, Step: "restart", Op: "ssh.exec", Index: &i, Label: "web-02", Attempt: 1, DelayMS: 100, Err: "refused"},
		{Kind: engine.EventRepeat, RunID: "r1", Time: at, Step: "restart", Op: "ssh.exec", Index: &i, Label: "web-02", Attempt: 1, DelayMS: 100, Message: "up"},
	}
	var out bytes.Buffer
	v := newLogView(&out, false, zerolog.InfoLevel, false)
	for _, ev := range evs {
		v.Event(ev)
	}
	v.w.Flush()
	for _, want := range []string{"INF restart[web-02] | restarting stream=stdout", "INF restart[2] | restarting stream=stdout",
		"INF retrying index=1 label=web-02 attempt=1", "INF repeating index=1 label=web-02 attempt=1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lines lack %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	v = newLogView(&out, true, zerolog.InfoLevel, false)
	for _, ev := range evs {
		v.Event(ev)
	}
	v.w.Flush()
	var got []map[string]any
	for line := range strings.Lines(out.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got = append(got, map[string]any{"index": m["index"], "label": m["label"]})
	}
	want := []map[string]any{{"index": 1.0, "label": "web-02"}, {"index": 2.0, "label": nil}, {"index": 1.0, "label": "web-02"}, {"index": 1.0, "label": "web-02"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON lines' index and label (-want +got):\n%s", diff)
	}
}

// TestRunLogsItemOutputByLabel: piped, a fan-out's process output and
// control.log messages name the item by its label, in both log formats;
// the engine gives an item's log events its label.
func TestRunLogsItemOutputByLabel(t *testing.T) {
	dir := t.TempDir()
	pb := e2eFile(t, dir, "labels.yaml", `version: 1
name: labels
steps:
  - id: restart
    op: shell.exec
    foreach: '[{"name": "web-01"}, {"name": "web-02"}]'
    with: {command: [echo, "restarting ${{ item.name }}"]}
  - id: note
    op: control.log
    foreach: '[{"name": "db-01"}, 7]'
    with: {message: "noted ${{ index }}"}
`)
	state := filepath.Join(dir, "state")
	res := runMain(t, "run", pb, "--state-dir", state)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"restart[web-01] | restarting web-01", "restart[web-02] | restarting web-02", "note[db-01] | noted 0", "note[1] | noted 1"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("console log lacks %q:\n%s", want, res.stderr)
		}
	}

	res = runMain(t, "run", pb, "--state-dir", state, "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	got := map[string]any{}
	for line := range strings.Lines(res.stderr) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			continue
		}
		if msg, _ := m["message"].(string); strings.HasPrefix(msg, "restarting ") || strings.HasPrefix(msg, "noted ") {
			got[msg] = m["label"]
		}
	}
	want := map[string]any{"restarting web-01": "web-01", "restarting web-02": "web-02", "noted 0": "db-01", "noted 1": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log lines' labels, by message (-want +got):\n%s", diff)
	}
}

// TestLiveViewKeepsStepsInTheOrderTheyStarted: the block of running steps
// lists them as they started, not by their ids as strings, which drew
// restart-10 above restart-2 and moved a row when another started.
func TestLiveViewKeepsStepsInTheOrderTheyStarted(t *testing.T) {
	var out bytes.Buffer
	v := newLiveView(&out, palette{}, true, 120)
	defer v.close()
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	for _, id := range []string{"restart-2", "restart-10", "drain"} {
		ev(engine.Event{Kind: engine.EventStepStarted, Step: id, Op: "control.sleep"})
	}
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	screen := out.String()
	line := strings.SplitN(screen[strings.LastIndex(screen, "running: "):], "\n", 2)[0]
	a, b, c := strings.Index(line, "restart-2 "), strings.Index(line, "restart-10 "), strings.Index(line, "drain ")
	if a < 0 || b < a || c < b {
		t.Errorf("the running line is %q, want restart-2, restart-10 and drain in that order", line)
	}
}
