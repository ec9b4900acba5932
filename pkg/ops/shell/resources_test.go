package shell

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// burnEnv and allocEnv make the test binary, run as a step's program, burn
// CPU or hold memory instead of running tests.
const (
	burnEnv  = "ARSENAL_TEST_BURN_MS"
	allocEnv = "ARSENAL_TEST_ALLOC_MB"
)

func init() {
	if v := os.Getenv(burnEnv); v != "" {
		// Burn CPU until this process has used ms of user time, whatever
		// else the machine is doing.
		ms, _ := strconv.Atoi(v)
		x := 0
		for {
			for i := 0; i < 1e5; i++ {
				x += i
			}
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil || time.Duration(ru.Utime.Nano()) >= time.Duration(ms)*time.Millisecond {
				break
			}
		}
		os.Exit(x & 0) // exit 0, and x stays in use
	}
	if v := os.Getenv(allocEnv); v != "" {
		mb, _ := strconv.Atoi(v)
		b := make([]byte, mb<<20)
		for i := range b { // touch every page, so it is resident
			b[i] = byte(i)
		}
		os.Exit(int(b[len(b)-1]) & 0)
	}
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestResourcesCPU runs a program that burns 200 ms of CPU (by its own clock) and
// expects shell.exec to report at least 150 ms of user time.
func TestResourcesCPU(t *testing.T) {
	out, err := execute(t, context.Background(), nil, map[string]any{
		"command": []any{self(t), "-test.run=^$"},
		"env":     map[string]any{burnEnv: "200"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := ops.ResourcesOf(out)
	if !ok {
		t.Fatalf("no resources in %v", out)
	}
	if r.CPUUserMS < 150 {
		t.Errorf("cpu_user_ms = %d after burning 200 ms of CPU; want at least 150 (%+v)", r.CPUUserMS, r)
	}
}

// TestResourcesMemory allocates and touches 100 MB and expects a peak RSS
// of at least 100,000 KB; python3 does the same through a script.
func TestResourcesMemory(t *testing.T) {
	progs := map[string]map[string]any{
		"go helper": {"command": []any{self(t), "-test.run=^$"}, "env": map[string]any{allocEnv: "110"}},
	}
	if _, err := exec.LookPath("python3"); err == nil {
		progs["python3"] = map[string]any{"command": []any{"python3", "-c", "b = bytearray(110 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1"}}
	}
	for name, raw := range progs {
		t.Run(name, func(t *testing.T) {
			out, err := execute(t, context.Background(), nil, raw)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := ops.ResourcesOf(out)
			if !ok {
				t.Fatalf("no resources in %v", out)
			}
			if r.MaxRSSKB < 100_000 {
				t.Errorf("max_rss_kb = %d after holding 110 MiB; want at least 100000", r.MaxRSSKB)
			}
		})
	}
}

// TestResourcesSandboxedAndSignalled checks that a sandboxed step reports
// the program's own usage (the helper replaces itself with it), and that
// a process ended by a signal says which.
func TestResourcesSandboxedAndSignalled(t *testing.T) {
	out, err := execute(t, context.Background(), nil, map[string]any{
		"command": []any{self(t), "-test.run=^$"},
		"env":     map[string]any{burnEnv: "200"},
		"sandbox": map[string]any{"cpu": "10s"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := ops.ResourcesOf(out); !ok || r.CPUUserMS < 150 {
		t.Errorf("sandboxed: resources %+v (ok %v); want cpu_user_ms >= 150", r, ok)
	}
	out, _ = execute(t, context.Background(), nil, map[string]any{"script": "kill -KILL $$"})
	if r, ok := ops.ResourcesOf(out); !ok || r.Signal != "SIGKILL" {
		t.Errorf("killed: resources %+v (ok %v); want signal SIGKILL", r, ok)
	}
}
