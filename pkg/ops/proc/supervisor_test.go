package proc

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func children(t *testing.T, r *ops.Registry, group string) []map[string]any {
	t.Helper()
	out, err := opstest.Execute(r, context.Background(), "supervisor.children", map[string]any{"supervisor": group})
	if err != nil {
		t.Fatal(err)
	}
	var cs []map[string]any
	for _, c := range out["children"].([]any) {
		cs = append(cs, c.(map[string]any))
	}
	return cs
}

func TestSupervisorRestartsAKilledProcess(t *testing.T) {
	r, _ := newEnv(t, Options{})
	start := with(helper(t, "sleep", marker(t)), "supervisor", "workers", "restart", "always")
	out, err := opstest.Execute(r, context.Background(), "process.start", start)
	if err != nil {
		t.Fatal(err)
	}
	first := out["pid"].(int)
	if out["supervisor"] != "workers" {
		t.Errorf("process.start = %v", out)
	}
	if _, err := opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": first}); err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	eventually(t, "the killed process is back", func() bool {
		c = children(t, r, "workers")[0]
		return c["status"] == "running" && c["pid"] != first
	})
	// A running process has no exit code of its own; how its
	// predecessor ended is last_exit_code. Before, the running process
	// showed exit_code 137, as if it had been killed itself.
	if c["restarts"] != 1 || c["exit_code"] != nil || c["last_exit_code"] != 128+int(syscall.SIGKILL) || c["restart"] != "always" {
		t.Errorf("child after a restart: %v; want exit_code <nil> and last_exit_code 137", c)
	}
	gone(t, first)
}

// TestSupervisedExitCodes: a process started and still running has
// exit_code and last_exit_code null; once it has ended, both say how.
func TestSupervisedExitCodes(t *testing.T) {
	r, _ := newEnv(t, Options{})
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "sleep", marker(t)), "supervisor", "svc")); err != nil {
		t.Fatal(err)
	}
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "exit3", marker(t)), "supervisor", "svc")); err != nil {
		t.Fatal(err)
	}
	var cs []map[string]any
	eventually(t, "the second process ends", func() bool {
		cs = children(t, r, "svc")
		return cs[1]["status"] == "failed"
	})
	got := []any{cs[0]["status"], cs[0]["exit_code"], cs[0]["last_exit_code"], cs[1]["exit_code"], cs[1]["last_exit_code"]}
	if diff := cmp.Diff([]any{"running", nil, nil, 3, 3}, got); diff != "" {
		t.Errorf("status, exit_code, last_exit_code of a running process, then exit_code, last_exit_code of one that failed (-want +got):\n%s", diff)
	}
}

func TestSupervisorPolicies(t *testing.T) {
	r, _ := newEnv(t, Options{})
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "exit0", marker(t)), "supervisor", "once", "restart", "on-failure")); err != nil {
		t.Fatal(err)
	}
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "exit3", marker(t)), "supervisor", "once", "restart", "never")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both processes end", func() bool {
		cs := children(t, r, "once")
		return cs[0]["status"] == "exited" && cs[1]["status"] == "failed"
	})
	cs := children(t, r, "once")
	if cs[0]["restarts"] != 0 || cs[0]["exit_code"] != 0 || cs[1]["restarts"] != 0 || cs[1]["exit_code"] != 3 {
		t.Errorf("children: %v", cs)
	}
}

func TestSupervisorGivesUp(t *testing.T) {
	r, _ := newEnv(t, Options{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRestarts: 3, Period: time.Minute})
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "exit3", marker(t)), "supervisor", "flaky", "restart", "on-failure")); err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	eventually(t, "the supervisor gives up", func() bool {
		c = children(t, r, "flaky")[0]
		return c["status"] == "gave_up"
	})
	if c["restarts"] != 3 || !strings.Contains(c["error"].(string), "restarted 3 times within 1m") {
		t.Errorf("child: %v", c)
	}
	// A manual restart brings it back (and it fails again, but runs).
	out, err := opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"supervisor": "flaky"})
	if err != nil || len(out["restarted"].([]any)) != 1 {
		t.Errorf("manual restart after giving up: %v %v", out, err)
	}
}

// TestManualRestartResetsTheRestartLimit: a process given up and started
// again by supervisor.restart gets its restarts back, as systemctl
// reset-failed gives a unit its start limit back. Before, it kept the
// count that had made the supervisor give up, and its first failure gave
// up at once, "restarted 3 times".
func TestManualRestartResetsTheRestartLimit(t *testing.T) {
	_, sup := newEnv(t, Options{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRestarts: 3, Period: time.Hour})
	first, err := sup.Start(Spec{Command: []string{"/bin/sh", "-c", "exit 3"}, Group: "flaky", Restart: RestartOnFailure})
	if err != nil {
		t.Fatal(err)
	}
	given := func(pid int) ChildInfo {
		var c ChildInfo
		eventually(t, "the supervisor gives up", func() bool {
			cs, err := sup.Children("flaky")
			c = cs[0]
			return err == nil && c.Status == "gave_up" && c.PID != pid
		})
		return c
	}
	c := given(0)
	if c.Restarts != 3 {
		t.Fatalf("given up after %d restarts, want 3: %+v", c.Restarts, c)
	}
	pids, err := sup.Restart(context.Background(), "flaky")
	if err != nil {
		t.Fatal(err)
	}
	c = given(first.PID)
	// The manual restart, then 3 automatic ones of its own.
	if c.Restarts != 3+1+3 || c.PID == pids[0] {
		t.Errorf("after a manual restart, given up after %d restarts in all (pid %d, the manual one's %d), want 7: %+v", c.Restarts, c.PID, pids[0], c)
	}
}

func TestSupervisorBackoffGrows(t *testing.T) {
	sup := NewSupervisor(Options{Backoff: 40 * time.Millisecond, MaxBackoff: 10 * time.Second, MaxRestarts: 10})
	defer sup.Close()
	c := &child{spec: Spec{Group: "g", Restart: RestartAlways, Command: []string{"x"}}}
	sup.groups["g"] = &group{children: []*child{c}}
	code := 1
	var delays []time.Duration
	for range 4 {
		c.exitCode, c.status = &code, "failed"
		d, again := sup.nextLocked(c)
		if !again {
			t.Fatal("gave up too early")
		}
		delays = append(delays, d)
	}
	want := []time.Duration{40 * time.Millisecond, 80 * time.Millisecond, 160 * time.Millisecond, 320 * time.Millisecond}
	if diff := cmp.Diff(want, delays); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}

func TestSupervisorRestartAndStop(t *testing.T) {
	r, _ := newEnv(t, Options{})
	var old []int
	for range 2 {
		out, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "sleep", marker(t)), "supervisor", "pool"))
		if err != nil {
			t.Fatal(err)
		}
		old = append(old, out["pid"].(int))
	}
	out, err := opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"supervisor": "pool"})
	if err != nil {
		t.Fatal(err)
	}
	restarted := out["restarted"].([]any)
	if len(restarted) != 2 || restarted[0] == old[0] || restarted[1] == old[1] {
		t.Fatalf("restarted %v, old %v", restarted, old)
	}
	for _, p := range old {
		gone(t, p)
	}
	cs := children(t, r, "pool")
	if cs[0]["pid"] != restarted[0] || cs[0]["status"] != "running" || cs[0]["restarts"] != 1 {
		t.Errorf("children after restart: %v", cs)
	}
	// One process by pid.
	out, err = opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"pid": restarted[1]})
	if err != nil || out["restarted"].([]any)[0] == restarted[1] {
		t.Errorf("restart by pid: %v %v", out, err)
	}
	gone(t, restarted[1].(int))
	if _, err := opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"pid": os.Getpid()}); err == nil || !strings.Contains(err.Error(), "not a process of any supervisor") {
		t.Errorf("restart of an unsupervised pid: %v", err)
	}

	out, err = opstest.Execute(r, context.Background(), "supervisor.stop", map[string]any{"supervisor": "pool"})
	if err != nil || len(out["stopped"].([]any)) != 2 {
		t.Fatalf("stop: %v %v", out, err)
	}
	for _, p := range out["stopped"].([]any) {
		gone(t, p.(int))
	}
	_, err = opstest.Execute(r, context.Background(), "supervisor.children", map[string]any{"supervisor": "pool"})
	if err == nil || !strings.Contains(err.Error(), `supervisor "pool" was stopped and removed`) {
		t.Errorf("children of a stopped group: %v", err)
	}
}

func TestProcessTree(t *testing.T) {
	r, _ := newEnv(t, Options{})
	out, err := opstest.Execute(r, context.Background(), "process.start", map[string]any{"command": []any{"sh", "-c", "sleep 300 & sleep 300 & wait"}})
	if err != nil {
		t.Fatal(err)
	}
	pid := out["pid"].(int)
	var kids []any
	eventually(t, "the shell has started both children", func() bool {
		out, err := opstest.Execute(r, context.Background(), "supervisor.children", map[string]any{"pid": pid})
		if err != nil {
			t.Fatal(err)
		}
		kids = out["children"].([]any)
		return len(kids) == 2 && kids[0].(map[string]any)["name"] == "sleep" && kids[1].(map[string]any)["name"] == "sleep"
	})
	for _, k := range kids {
		c := k.(map[string]any)
		if c["name"] != "sleep" || c["ppid"] != pid {
			t.Errorf("child %v", c)
		}
		if _, err := opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": c["pid"], "started_at": c["started_at"]}); err != nil {
			t.Error(err)
		}
	}
	gone(t, pid) // the shell exits once its children are gone, and is reaped
}

func TestCloseLeavesProcessesRunning(t *testing.T) {
	sup := NewSupervisor(Options{})
	ci, err := sup.Start(Spec{Command: []string{"sleep", "300"}, Group: "g", Restart: RestartAlways})
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(ci.PID, 0); err != nil {
		t.Errorf("the process died with the supervisor: %v", err)
	}
	if _, err := sup.Start(Spec{Command: []string{"true"}}); !errors.Is(err, errClosed) {
		t.Errorf("start after close: %v", err)
	}
	syscall.Kill(ci.PID, syscall.SIGKILL)
	var ws syscall.WaitStatus
	syscall.Wait4(ci.PID, &ws, 0, nil) // no longer the supervisor's job
}

func TestOwnedSupervisorClosesWithTheRegistry(t *testing.T) {
	r := ops.NewRegistry()
	if err := Register(r, nil); err != nil {
		t.Fatal(err)
	}
	out, err := opstest.Execute(r, context.Background(), "process.start", map[string]any{"command": []any{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	gone(t, out["pid"].(int))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStartedProcessResources: once a process started by process.start has
// exited and the supervisor has waited for it, supervisor.children reports
// what it used, from its rusage.
func TestStartedProcessResources(t *testing.T) {
	r, _ := newEnv(t, Options{})
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "hog", marker(t)), "supervisor", "jobs")); err != nil {
		t.Fatal(err)
	}
	if c := children(t, r, "jobs")[0]; c["status"] == "running" && c[ops.ResourcesKey] != nil {
		t.Errorf("a running process reports resources: %v", c)
	}
	var c map[string]any
	eventually(t, "the process ends", func() bool {
		c = children(t, r, "jobs")[0]
		return c["status"] == "exited"
	})
	res, ok := ops.ResourcesOf(c)
	if !ok {
		t.Fatalf("no resources in %v", c)
	}
	if res.CPUUserMS < 150 || res.MaxRSSKB < 100_000 {
		t.Errorf("resources %+v; want cpu_user_ms >= 150 and max_rss_kb >= 100000", res)
	}
}
