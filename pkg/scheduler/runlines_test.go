package scheduler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// servedRuns is a run service that writes the runs' lines to out itself,
// as serve's does, a manager on it, and a scheduled playbook p whose one
// step logs hello.
func servedRuns(t *testing.T, out *syncBuffer) (*runs.Manager, *steps.Playbook) {
	t.Helper()
	return servedRunsOf(t, out, "version: 1\nname: p\nschedule: {cron: \"@every 1m\"}\nsteps:\n  - {id: say, op: control.log, with: {message: hello}}\n", nil)
}

// servedRunsOf is servedRuns with p.yaml's text, and files beside it.
func servedRunsOf(t *testing.T, out *syncBuffer, text string, beside map[string]string) (*runs.Manager, *steps.Playbook) {
	t.Helper()
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: t.TempDir(), Log: out, LogLevel: zerolog.InfoLevel})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: 1})
	t.Cleanup(func() { mgr.Shutdown(context.Background()) })
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range beside {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pb, err := steps.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	return mgr, pb
}

// TestRunLinesSayScheduler: where the run service writes a scheduled
// run's lines itself (serve), the engine's lines of the run, its
// control.log messages and step lines too, carry component: scheduler and
// the slot, as the scheduler's own lines of the run do, so that a log
// pipeline that keeps component: scheduler keeps the whole run. The
// run's start is the scheduler's to log: the run's own lines leave it out.
func TestRunLinesSayScheduler(t *testing.T) {
	var out syncBuffer
	mgr, pb := servedRuns(t, &out)
	l := NewRunLauncher(mgr, []string{auth.RoleOperator}, nil)
	h, err := l.Launch(context.Background(), Job{Playbook: pb, Slot: t10})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end")
	}
	out.mu.Lock()
	text := out.b.String()
	out.mu.Unlock()
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader([]byte(text)))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		seen[m["message"].(string)] = true
		if m["component"] != Component || m["slot"] != t10.Format(time.RFC3339) || m["run_id"] != h.ID() {
			t.Errorf("line %v: want component %q, slot %s and the run's id", m, Component, t10.Format(time.RFC3339))
		}
	}
	for _, msg := range []string{"hello", "step finished", "run finished"} {
		if !seen[msg] {
			t.Errorf("no %q line in\n%s", msg, text)
		}
	}
	if seen["run started"] {
		t.Errorf("the run logged its own start, which the scheduler logs:\n%s", text)
	}
}

// TestServedRunStartsOnce: a run the scheduler fires under serve, whose
// lines the run service writes to the same log, has one "run started"
// line, the scheduler's, with its fire delay: a run is not said to start
// twice.
func TestServedRunStartsOnce(t *testing.T) {
	var out syncBuffer
	mgr, pb := servedRuns(t, &out)
	h := newHarness(t, t10.Add(-time.Second), func(c *Config) {
		c.Launcher = NewRunLauncher(mgr, []string{auth.RoleOperator}, nil)
		c.Lead = -1
	})
	h.load(pb)
	h.run(2 * time.Second)
	// The run goes on in real time: wait for the scheduler's "run ended".
	deadline := time.Now().Add(30 * time.Second)
	for len(h.logs.lines("run ended")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end; the scheduler's log:\n%s", h.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	started := append(h.logs.lines("run started"), out.lines("run started")...)
	if len(started) != 1 || started[0]["delay_ms"] == nil {
		t.Errorf("run started lines %v, want one, with delay_ms", started)
	}
	if len(out.lines("hello")) != 1 {
		t.Errorf("the run's own lines are missing:\n%s", out.String())
	}
}

// TestServedSubRunLogsItsStart: the scheduler logs the start of the run
// it fires, not of the runs its playbook.run steps start: a sub-run's
// "run started" line is still written, with its parent's run id.
func TestServedSubRunLogsItsStart(t *testing.T) {
	var out syncBuffer
	mgr, pb := servedRunsOf(t, &out,
		"version: 1\nname: p\nschedule: {cron: \"@every 1m\"}\nsteps:\n  - {id: sub, op: playbook.run, with: {path: child.yaml}}\n",
		map[string]string{"child.yaml": "version: 1\nname: child\nsteps:\n  - {id: say, op: control.log, with: {message: hello}}\n"})
	l := NewRunLauncher(mgr, []string{auth.RoleOperator}, nil)
	h, err := l.Launch(context.Background(), Job{Playbook: pb, Slot: t10})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end")
	}
	started := out.lines("run started")
	if len(started) != 1 || started[0]["playbook"] != "child" || started[0]["parent_run_id"] != h.ID() {
		t.Errorf("run started lines %v, want the sub-run's alone, naming its parent", started)
	}
}

// slowToLog is a Launcher whose Launch, once its inner one has started
// the run, gives the run up to a second to write its first step's line
// to out before it returns: the scheduler logs "run started" only after
// Launch returns, so a run not held back until then shows its lines
// first. The order is what is asserted, not the time.
type slowToLog struct {
	Launcher
	out *syncBuffer
}

func (l slowToLog) Launch(ctx context.Context, job Job) (Handle, error) {
	h, err := l.Launcher.Launch(ctx, job)
	for end := time.Now().Add(time.Second); err == nil && time.Now().Before(end) && len(l.out.lines("hello")) == 0; {
		time.Sleep(5 * time.Millisecond)
	}
	return h, err
}

// TestServedRunLinesFollowRunStarted: under serve, where the run service
// writes a scheduled run's lines to the log the scheduler writes to, the
// scheduler's "run started" comes before the run's first line, as under
// `schedule`, however long the scheduler takes to write it.
func TestServedRunLinesFollowRunStarted(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second), func(c *Config) { c.Lead = -1 })
	mgr, pb := servedRuns(t, h.logs)
	h.s.mu.Lock()
	h.s.cfg.Launcher = slowToLog{Launcher: NewRunLauncher(mgr, []string{auth.RoleOperator}, nil), out: h.logs}
	h.s.mu.Unlock()
	h.load(pb)
	h.run(2 * time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for len(h.logs.lines("run ended")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end; the log:\n%s", h.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	var order []string
	for _, l := range h.logs.linesWhere(func(m map[string]any) bool { return m["run_id"] != nil }) {
		order = append(order, l["message"].(string))
	}
	if len(order) < 3 || order[0] != "run started" || !slices.Contains(order, "hello") {
		t.Errorf("the run's lines in order %q, want \"run started\" first, then the run's own (hello):\n%s", order, h.logs.String())
	}
}
