package proc

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// TestStartLapsedOnceItsProcessEnds: the output of a process.start holds
// while its process runs under the pid with the start time it gave, and
// lapses once the process has ended (a resumed run then starts it again).
// A pid whose start time differs is another process.
func TestStartLapsedOnceItsProcessEnds(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	ct, err := createTime(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{"pid": float64(pid), "started_at": formatTime(msTime(ct))}
	op := &StartOp{}
	if why := op.Lapsed(context.Background(), out); why != "" {
		t.Errorf("running: %q, want it to hold", why)
	}
	other := map[string]any{"pid": float64(pid), "started_at": formatTime(msTime(ct - 5000))}
	if why := op.Lapsed(context.Background(), other); !strings.Contains(why, "another process has that pid now") {
		t.Errorf("another start time: %q", why)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if why := op.Lapsed(context.Background(), out); !strings.Contains(why, "has ended") {
		t.Errorf("ended: %q, want it lapsed", why)
	}
	if why := op.Lapsed(context.Background(), map[string]any{"pid": "x"}); why == "" {
		t.Error("an output naming no process holds")
	}
}
