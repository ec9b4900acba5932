package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// withoutCgroup makes the sandbox find no cgroup, so that processes falls
// back to RLIMIT_NPROC.
func withoutCgroup(t *testing.T) {
	t.Helper()
	saved := pidsCgroupBase
	pidsCgroupBase = func() (string, error) { return "", errors.New("no cgroup for this test") }
	t.Cleanup(func() { pidsCgroupBase = saved })
}

func TestSandboxProcessesLimitIsExactWithoutCgroup(t *testing.T) {
	if os.Geteuid() == 0 {
		if os.Getenv(envAsUser) != "" {
			t.Fatal("still root")
		}
		// Root is not bound by RLIMIT_NPROC, and refused (see
		// TestSandboxFailsClearlyWhenALimitCannotBeEnforced).
		rerunAsUser(t, "TestSandboxProcessesLimitIsExactWithoutCgroup")
		return
	}
	withoutCgroup(t)
	// The shell itself is one process, each sleep another; /bin/true is
	// the one more fork.
	script := func(sleeps int) string {
		return fmt.Sprintf("i=0; while [ $i -lt %d ]; do sleep 30 >/dev/null 2>&1 & i=$((i+1)); done; echo started; /bin/true; echo forked", sleeps)
	}
	for _, network := range []bool{true, false} {
		// One process: the program alone, started by a helper whose own
		// threads no longer count.
		out, err := execute(t, context.Background(), nil, map[string]any{
			"command": []any{"echo", "alone"}, "sandbox": map[string]any{"processes": 1, "network": network}})
		if err != nil || out["stdout"] != "alone\n" {
			t.Errorf("network %v, processes 1: the program alone should run: %v %v", network, out, err)
		}
		for _, n := range []int{2, 3, 5, 8} {
			sb := map[string]any{"processes": n, "network": network}
			out, err := execute(t, context.Background(), nil, map[string]any{"script": script(n - 2), "sandbox": sb})
			if err != nil || out["stdout"] != "started\nforked\n" {
				t.Errorf("network %v, processes %d: %d processes at once should run: %v %v", network, n, n, out, err)
			}
			out, err = execute(t, context.Background(), nil, map[string]any{"script": script(n - 1), "sandbox": sb})
			if err == nil || out["stdout"] != "started\n" || !strings.Contains(strings.ToLower(fmt.Sprint(out["stderr"])), "fork") {
				t.Errorf("network %v, processes %d: %d processes at once should not run: %v %v", network, n, n+1, out, err)
			}
		}
	}
}
