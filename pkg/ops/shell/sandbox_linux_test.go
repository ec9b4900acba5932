package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func TestSandboxDirAndEnvironment(t *testing.T) {
	t.Setenv("ARSENAL_TEST_LEAK", "must not be seen")
	out, err := execute(t, context.Background(), nil, map[string]any{
		"script":  `pwd; env | sort; touch made-here`,
		"env":     map[string]any{"GREETING": "hi"},
		"sandbox": map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out["stdout"].(string)), "\n")
	dir := lines[0]
	if !strings.HasPrefix(dir, fsroot.PrivateBase()+"/sandbox-") {
		t.Errorf("working directory %q is not a fresh sandbox directory", dir)
	}
	var env []string
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, "=")
		if k == "ARSENAL_OUTPUT" && strings.HasPrefix(v, fsroot.PrivateBase()+"/output-") {
			l = "ARSENAL_OUTPUT=<file>"
		}
		if k != "PWD" && k != "SHLVL" && k != "_" && k != "OLDPWD" { // set by sh itself
			env = append(env, l)
		}
	}
	want := []string{"ARSENAL_OUTPUT=<file>", "ARSENAL_PLAYBOOK=", "ARSENAL_RUN_ID=", "ARSENAL_STEP_ID=", "GREETING=hi", "HOME=" + dir, "PATH=" + sandboxPATH}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("sandbox environment (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sandbox directory %s left behind (%v)", dir, err)
	}
}

func TestSandboxMemoryLimit(t *testing.T) {
	// awk doubles a string until it holds 128 MiB.
	hog := map[string]any{"command": []any{"awk", `BEGIN { s = "x"; for (i = 0; i < 27; i++) s = s s; print length(s) }`}}
	hog["sandbox"] = map[string]any{"memory": "1Gi"}
	out, err := execute(t, context.Background(), nil, hog)
	if err != nil || out["stdout"] != "134217728\n" {
		t.Fatalf("control run with room to spare: %v %v", out, err)
	}
	hog["sandbox"] = map[string]any{"memory": "64Mi"}
	out, err = execute(t, context.Background(), nil, hog)
	if err == nil {
		t.Fatalf("a memory hog under a 64Mi limit succeeded: %v", out)
	}
	if ops.ClassOf(err) != ops.ClassExecution || out["stdout"] != "" {
		t.Errorf("class %s, stdout %q: %v", ops.ClassOf(err), out["stdout"], err)
	}
}

func TestSandboxCPULimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	out, err := execute(t, ctx, nil, map[string]any{
		"script":  "while :; do :; done",
		"sandbox": map[string]any{"cpu": "1s"},
	})
	if err == nil || ctx.Err() != nil {
		t.Fatalf("a CPU spinner was not stopped by its 1s limit: %v %v", out, err)
	}
	if !strings.Contains(err.Error(), "SIGXCPU") || !strings.Contains(err.Error(), "cpu limit") {
		t.Errorf("error does not say the cpu limit killed it: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the spinner ran for %v", d)
	}
}

func TestSandboxProcessesLimit(t *testing.T) {
	spawn := map[string]any{"script": "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo spawned"}
	spawn["sandbox"] = map[string]any{"processes": 100}
	out, err := execute(t, context.Background(), nil, spawn)
	if err != nil || out["stdout"] != "spawned\n" {
		t.Fatalf("control run with room to spare: %v %v", out, err)
	}
	spawn["sandbox"] = map[string]any{"processes": 10}
	out, err = execute(t, context.Background(), nil, spawn)
	if err == nil || out["stdout"] != "" {
		t.Fatalf("40 processes under a limit of 10 succeeded: %v %v", out, err)
	}
	if !strings.Contains(strings.ToLower(out["stderr"].(string)), "fork") {
		t.Errorf("stderr does not show the failed fork: %q", out["stderr"])
	}
}

func TestSandboxStopsAForkBomb(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	marker := fmt.Sprintf("forkbomb-%d", time.Now().UnixNano())
	start := time.Now()
	_, err := execute(t, ctx, &Exec{KillGrace: 100 * time.Millisecond}, map[string]any{
		"script":  "# " + marker + "\nb() { b | b & }; b; wait",
		"sandbox": map[string]any{"processes": 32},
	})
	if err == nil {
		t.Log("the bomb fizzled before the timeout")
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the fork bomb held the step for %v", d)
	}
	if pids := processesWith(marker); len(pids) > 0 {
		t.Errorf("fork bomb processes left behind: %v", pids)
	}
}

// processesWith lists live processes whose command line contains s.
func processesWith(s string) []string {
	var found []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		found = found[:0]
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err == nil && strings.Contains(string(b), s) {
				if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil && !strings.Contains(string(st), ") Z ") {
					found = append(found, e.Name())
				}
			}
		}
		if len(found) == 0 {
			return nil
		}
	}
	return found
}

func TestSandboxFileSizeAndOpenFiles(t *testing.T) {
	out, err := execute(t, context.Background(), nil, map[string]any{
		"script":  "head -c 1000000 /dev/zero > big",
		"sandbox": map[string]any{"file_size": "64Ki"},
	})
	if err == nil || !strings.Contains(err.Error(), "file_size") {
		t.Errorf("writing 1MB under a 64Ki file_size limit: %v %v", out, err)
	}
	out, err = execute(t, context.Background(), nil, map[string]any{
		"command": []any{"sh", "-c", "ulimit -n"},
		"sandbox": map[string]any{"open_files": 17},
	})
	if err != nil || out["stdout"] != "17\n" {
		t.Errorf("open_files 17: %v %v", out, err)
	}
}

func TestSandboxNetworkFalse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	dial := []any{"bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d && echo connected", port)}
	out, err := execute(t, context.Background(), nil, map[string]any{"command": dial, "sandbox": map[string]any{"network": true}})
	if err != nil || out["stdout"] != "connected\n" {
		t.Fatalf("control run with network: %v %v", out, err)
	}
	out, err = execute(t, context.Background(), nil, map[string]any{"command": dial, "sandbox": map[string]any{"network": false}})
	if err == nil || out["stdout"] != "" {
		t.Fatalf("network: false reached the parent's loopback listener: %v %v", out, err)
	}
	// The sandbox still has a loopback of its own.
	out, err = execute(t, context.Background(), nil, map[string]any{
		"command": []any{"bash", "-c", "cat /sys/class/net/lo/operstate; ls /sys/class/net"},
		"sandbox": map[string]any{"network": false},
	})
	if err != nil || !strings.HasSuffix(out["stdout"].(string), "lo\n") {
		t.Errorf("network: false should leave only lo: %v %v", out, err)
	}
}

func TestSandboxFailsClearlyWhenALimitCannotBeEnforced(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fallback for root is what is tested here")
	}
	saved := pidsCgroupBase
	pidsCgroupBase = func() (string, error) { return "", errors.New("no cgroup for this test") }
	defer func() { pidsCgroupBase = saved }()
	marker := t.TempDir() + "/ran"
	out, err := execute(t, context.Background(), nil, map[string]any{
		"command": []any{"touch", marker},
		"sandbox": map[string]any{"processes": 8},
	})
	if err == nil || !strings.Contains(err.Error(), "processes limit cannot be enforced") || !strings.Contains(err.Error(), "did not run") {
		t.Fatalf("want a clear refusal, got %v %v", out, err)
	}
	if _, serr := os.Stat(marker); serr == nil {
		t.Error("the program ran unsandboxed")
	}
}

func TestSandboxNeedsTheHelper(t *testing.T) {
	helperReady.Store(false)
	defer helperReady.Store(true)
	_, err := execute(t, context.Background(), nil, map[string]any{"command": []any{"true"}, "sandbox": map[string]any{}})
	if err == nil || !strings.Contains(err.Error(), "MaybeRunSandboxHelper") {
		t.Fatalf("want an error naming MaybeRunSandboxHelper, got %v", err)
	}
}

func TestSandboxCgroupCatchesEscapees(t *testing.T) {
	base, err := pidsCgroupBase()
	if err != nil {
		t.Skipf("no pids cgroup here: %v", err)
	}
	mark := fmt.Sprintf("%d", 100000+time.Now().UnixNano()%100000)
	if _, err := execute(t, context.Background(), nil, map[string]any{
		"script": "setsid sleep " + mark + " & echo ok", "sandbox": map[string]any{},
	}); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(base)
	for _, e := range left {
		if strings.HasPrefix(e.Name(), fmt.Sprintf("arsenal-run-sandbox-%d-", os.Getpid())) {
			t.Errorf("cgroup %s left behind", e.Name())
		}
	}
	if pids := processesWith("sleep " + mark); len(pids) > 0 {
		t.Errorf("a process that left the group with setsid survived the sandbox: %v", pids)
	}
}

// TestSandboxHelperGetsNoEnvironment: the helper that applies the limits
// starts with no environment, so nothing the step sets (LD_PRELOAD, say)
// runs in it before the limits, through the dynamic loader of a
// dynamically linked build; the program gets the step's environment, as
// TestSandboxDirAndEnvironment shows, from a file the helper reads.
func TestSandboxHelperGetsNoEnvironment(t *testing.T) {
	r := &request{argv: []string{"true"}, env: []string{"LD_PRELOAD=/tmp/evil.so", "GREETING=hi"}, sandbox: &limits{Network: true}}
	cmd := &exec.Cmd{SysProcAttr: &syscall.SysProcAttr{}}
	sb, err := prepareSandbox(cmd, r)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.cleanup()
	if cmd.Env == nil || len(cmd.Env) != 0 {
		t.Errorf("the helper's environment is %q, want none (a nil Env would be this process's)", cmd.Env)
	}
	b, err := io.ReadAll(sb.envF)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(string(b), "\x00")
	if !slices.Contains(got, "LD_PRELOAD=/tmp/evil.so") || !slices.Contains(got, "GREETING=hi") {
		t.Errorf("the program's environment, for the helper to pass on: %q", got)
	}
}
