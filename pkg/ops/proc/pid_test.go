package proc

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestPIDOutOfRange checks that every op taking a pid refuses a value
// outside 1..pid_max-1 as a parameter error before any guard looks at it.
// pid_t is 32 bits: 2^32+N used to reach pid N, past the guards for pid 1,
// arsenal-run itself and its parent.
func TestPIDOutOfRange(t *testing.T) {
	r, _ := newEnv(t, Options{})
	out, err := opstest.Execute(r, context.Background(), "process.start", helper(t, "sleep", marker(t)))
	if err != nil {
		t.Fatal(err)
	}
	victim := out["pid"].(int)
	defer func() {
		_ = syscall.Kill(victim, syscall.SIGKILL)
		gone(t, victim)
	}()
	max := pidMax()
	refused := []int{0, -1, -(1 << 32) + victim, max, max + 1, 1 << 22, 1<<32 + 1, 1<<32 + victim, 1<<32 + os.Getpid(), 1<<33 + victim}
	for _, op := range []string{"process.signal", "process.kill", "process.info", "supervisor.children", "supervisor.restart"} {
		for _, pid := range refused {
			if pid == 1<<22 && max == 1<<22 {
				continue // the same as max
			}
			raw := map[string]any{"pid": pid}
			if op == "process.signal" {
				raw["signal"] = "KILL"
			}
			_, err := opstest.Execute(r, context.Background(), op, raw)
			if ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), "param pid") {
				t.Errorf("%s pid %d: %v (class %s), want a validation error on param pid", op, pid, err, ops.ClassOf(err))
			}
			if pid >= max && !strings.Contains(err.Error(), "is not a process id") {
				t.Errorf("%s pid %d: %v, want it to say the value is not a process id", op, pid, err)
			}
		}
	}
	if err := syscall.Kill(victim, 0); err != nil {
		t.Fatalf("pid %d was hit through a wrapped pid: %v", victim, err)
	}

	// The largest pid the host hands out is in range: it gets to the
	// process lookup, not a parameter error.
	_, err = opstest.Execute(r, context.Background(), "process.info", map[string]any{"pid": max - 1})
	if ops.ClassOf(err) == ops.ClassValidation {
		t.Errorf("process.info pid %d (pid_max-1): %v, want it looked up", max-1, err)
	}
	_, err = opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": max - 1})
	if err != nil && ops.ClassOf(err) == ops.ClassValidation {
		t.Errorf("process.kill pid %d (pid_max-1): %v, want it looked up", max-1, err)
	}
	// pid 1 is in range and refused by the guard.
	_, err = opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": 1})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
		t.Errorf("process.kill pid 1: %v, want an authorization refusal", err)
	}
	// A literal pid is checked when the playbook loads, too.
	e, _ := r.Get("process.kill")
	if _, err := e.Validate(map[string]any{"pid": 1<<32 + victim}, false); err == nil {
		t.Error("load-time validation accepted pid 2^32+N")
	}
}

func TestPIDMaxFallback(t *testing.T) {
	old := pidMaxFile
	defer func() { pidMaxFile = old }()
	dir := t.TempDir()
	for _, tc := range []struct {
		content string
		want    int
	}{{"32768\n", 32768}, {"4194304", 1 << 22}, {"garbage", 1 << 22}, {"99999999", 1 << 22}, {"", 1 << 22}} {
		pidMaxFile = dir + "/pid_max"
		if err := os.WriteFile(pidMaxFile, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := pidMax(); got != tc.want {
			t.Errorf("pid_max %q: got %d, want %d", tc.content, got, tc.want)
		}
	}
	pidMaxFile = dir + "/missing"
	if got := pidMax(); got != 1<<22 {
		t.Errorf("without the file: got %d, want %d", got, 1<<22)
	}
}
