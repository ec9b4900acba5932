package cli

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestScheduleSaysHowToListTheRunsItMarkedInterrupted: a scheduled run
// was going when its process was killed (kill -9), and schedule starts
// again on the state dir. Before, the log said only "marked the runs of
// earlier processes that ended before their runs did as interrupted
// runs=1", and nothing of which runs or where to look. Now it names the
// run and gives the history command that lists them, on this state dir.
func TestScheduleSaysHowToListTheRunsItMarkedInterrupted(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state dir")
	s, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	slot := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	if err := s.RecordStart(context.Background(), history.Run{ID: "20260329T010000-killed", Playbook: "tick",
		StartedAt: slot, Trigger: history.TriggerSchedule, Slot: &slot}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	tick := writePlaybook(t, dir, "tick.yaml", everySecond)
	p := start(t, "scheduler started", "schedule", tick, "--state-dir", state)
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
	want := "`arsenal-run history --status interrupted --state-dir '" + state + "'` lists them"
	if log := p.stderr.String(); !strings.Contains(log, "marked 1 run of earlier processes interrupted: they ended before their runs did; 20260329T010000-killed;") || !strings.Contains(log, want) {
		t.Errorf("the log does not say %q:\n%s", want, log)
	}
}
