package proc

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// The test binary doubles as the processes the tests start: with
// ARSENAL_PROC_HELPER set it behaves as asked instead of running tests.
func TestMain(m *testing.M) {
	switch os.Getenv("ARSENAL_PROC_HELPER") {
	case "sleep":
		time.Sleep(time.Hour)
		os.Exit(0)
	case "exit0":
		os.Exit(0)
	case "signal-other":
		// Signal 0 (no signal, the permission check alone) to the pid
		// given, and print the error.
		pid, _ := strconv.Atoi(os.Getenv("ARSENAL_PROC_TARGET"))
		err := signalChecked(context.Background(), pid, 0, 0, func() error { return nil })
		fmt.Print(err)
		os.Exit(0)
	case "envdump":
		os.WriteFile(os.Getenv("ARSENAL_PROC_OUT"), []byte(strings.Join(os.Environ(), "\n")), 0o600)
		os.Exit(0)
	case "exit3":
		fmt.Fprintln(os.Stderr, "failing on purpose")
		os.Exit(3)
	case "hog":
		// Hold 110 MiB and burn 200 ms of CPU by this process's own clock.
		b := make([]byte, 110<<20)
		for i := range b {
			b[i] = byte(i)
		}
		for {
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil || time.Duration(ru.Utime.Nano()) >= 200*time.Millisecond {
				break
			}
			for i := 0; i < len(b); i += 4096 {
				b[i]++
			}
		}
		os.Exit(int(b[0]) & 0)
	}
	goleak.VerifyTestMain(m)
}

var markerSeq atomic.Int64

// marker returns a string unique to this test run, to find its processes.
func marker(t *testing.T) string {
	return fmt.Sprintf("arsenal-test-%d-%d", os.Getpid(), markerSeq.Add(1))
}

// helper returns a process.start command running the test binary as kind.
func helper(t *testing.T, kind, mark string) map[string]any {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"command": []any{exe, "-test.run=^$", mark},
		"env":     map[string]any{"ARSENAL_PROC_HELPER": kind},
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// newEnv returns a registry with the proc ops around a supervisor with
// short delays, closed (and checked for leftovers) when the test ends.
func newEnv(t *testing.T, opt Options) (*ops.Registry, *Supervisor) {
	t.Helper()
	if opt.Backoff == 0 {
		opt.Backoff = 10 * time.Millisecond
	}
	if opt.StopGrace == 0 {
		opt.StopGrace = 2 * time.Second
	}
	sup := NewSupervisor(opt)
	r := ops.NewRegistry()
	if err := Register(r, sup); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, g := range sup.Groups() {
			if _, err := sup.Stop(context.Background(), g); err != nil {
				t.Errorf("stopping %s: %v", g, err)
			}
		}
		sup.Close()
		r.Close()
	})
	return r, sup
}

// gone waits until pid has exited and been reaped (no zombie left).
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		if !strings.Contains(string(b), ") Z ") && syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	t.Errorf("pid %d is still there: %s", pid, b)
}

// eventually polls cond for up to 30 seconds: a bound for a loaded
// machine (the helpers are race-instrumented copies of this binary), not
// a measure of speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
