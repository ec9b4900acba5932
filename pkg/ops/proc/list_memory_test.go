package proc

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestListHoldsTheOutputMemory: process.list holds the entries it builds
// in the registry's output memory, command lines included, gives them
// back, and fails naming the setting when they would take more than all
// of it. They were built beside it: twelve processes of 1.4 MiB command
// lines took 17 MiB the pool never counted.
func TestListHoldsTheOutputMemory(t *testing.T) {
	const mib = 1 << 20
	r, _ := newEnv(t, Options{})
	mem := r.OutputMemory()
	mark := "listmem" + strconv.FormatInt(time.Now().UnixNano(), 36)
	args := []string{"-c", "sleep 60", mark}
	for range 12 {
		args = append(args, strings.Repeat("a", 120<<10))
	}
	for range 12 {
		cmd := exec.Command("/bin/sh", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	mem.SetLimit(64 * mib)
	out, err := opstest.Execute(r, context.Background(), "process.list", map[string]any{"cmdline_regex": mark})
	if err != nil || out["count"] != 12 {
		t.Fatalf("process.list: %v, count %v", err, out["count"])
	}
	if now, peak := mem.Used(); now != 0 || peak < 12*12*120<<10 {
		t.Errorf("held %d bytes after, %d at most; want 0, and at least the %d of the command lines", now, peak, 12*12*120<<10)
	}

	mem.SetLimit(16 * mib)
	_, err = opstest.Execute(r, context.Background(), "process.list", map[string]any{"cmdline_regex": mark})
	if err == nil || !strings.Contains(err.Error(), "more than the 16 MiB operations may hold at once ("+ops.OutputMemorySetting+")") || ops.ClassOf(err) != ops.ClassExecution {
		t.Errorf("process.list in 16 MiB: %v", err)
	}
	if now, _ := mem.Used(); now != 0 {
		t.Errorf("held %d bytes after", now)
	}
}
