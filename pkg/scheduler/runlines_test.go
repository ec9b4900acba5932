package scheduler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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

// TestRunLinesSayScheduler: where the run service writes a scheduled
// run's lines itself (serve), the engine's lines of the run, its
// control.log messages and step lines too, carry component: scheduler and
// the slot, as the scheduler's own lines of the run do, so that a log
// pipeline that keeps component: scheduler keeps the whole run.
func TestRunLinesSayScheduler(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	var out syncBuffer
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: t.TempDir(), Log: &out, LogLevel: zerolog.InfoLevel})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: 1})
	defer mgr.Shutdown(context.Background())
	path := filepath.Join(t.TempDir(), "p.yaml")
	text := "version: 1\nname: p\nschedule: {cron: \"@every 1m\"}\nsteps:\n  - {id: say, op: control.log, with: {message: hello}}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
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
	text = out.b.String()
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
	for _, msg := range []string{"run started", "hello", "step finished", "run finished"} {
		if !seen[msg] {
			t.Errorf("no %q line in\n%s", msg, text)
		}
	}
}
