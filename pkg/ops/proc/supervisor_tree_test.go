package proc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// grandchild reads the pid a shell wrote to file.
func grandchild(t *testing.T, file string) int {
	t.Helper()
	var pid int
	eventually(t, "the shell writes its child's pid", func() bool {
		b, err := os.ReadFile(file)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

// TestStopAndRestartEndTheProcessTree: supervisor.stop and a restart end
// what a supervised process started too, as systemd ends a unit's control
// group: SIGTERM to the process group, then SIGKILL after the grace to
// what ignores it. Before, only the process itself was signalled, and its
// children lived on with init as their parent, one more set per restart.
func TestStopAndRestartEndTheProcessTree(t *testing.T) {
	r, sup := newEnv(t, Options{StopGrace: 300 * time.Millisecond})
	dir := t.TempDir()
	tree := func(group, restart string) (file string) {
		file = filepath.Join(dir, group)
		// One child that stops on SIGTERM, one that ignores it.
		script := `sleep 300 & (trap '' TERM; exec sleep 301) & echo $! > ` + file + `; wait`
		if _, err := opstest.Execute(r, context.Background(), "process.start", map[string]any{
			"command": []any{"/bin/sh", "-c", script}, "supervisor": group, "restart": restart,
		}); err != nil {
			t.Fatal(err)
		}
		return file
	}

	stubborn := grandchild(t, tree("stopped", "always"))
	if _, err := opstest.Execute(r, context.Background(), "supervisor.stop", map[string]any{"supervisor": "stopped"}); err != nil {
		t.Fatal(err)
	}
	gone(t, stubborn)

	file := tree("restarted", "never")
	stubborn = grandchild(t, file)
	os.Remove(file)
	if _, err := sup.Restart(context.Background(), "restarted"); err != nil {
		t.Fatal(err)
	}
	gone(t, stubborn)
	grandchild(t, file) // the new process started its own
}

// TestRestartOutlivesItsCaller: a restart whose caller stops waiting (a
// client that hangs up, a step timeout shorter than the grace) still
// restarts the process; before, a restart: never process was left stopped.
func TestRestartOutlivesItsCaller(t *testing.T) {
	_, sup := newEnv(t, Options{StopGrace: 200 * time.Millisecond})
	ready := filepath.Join(t.TempDir(), "ready")
	info, err := sup.Start(Spec{Command: []string{"/bin/sh", "-c", "trap '' TERM; echo $$ > " + ready + "; while :; do sleep 1; done"}, Group: "slow", Restart: RestartNever})
	if err != nil {
		t.Fatal(err)
	}
	grandchild(t, ready) // SIGTERM is ignored from now on
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := sup.Restart(ctx, "slow"); err == nil {
		t.Fatal("the restart answered before its process stopped")
	}
	eventually(t, "the process is restarted", func() bool {
		cs, err := sup.Children("slow")
		return err == nil && len(cs) == 1 && cs[0].Status == "running" && cs[0].PID != info.PID
	})
}

// TestRestartLimitIsPerProcess: a process that keeps failing uses up its
// own restarts, not those of the others in its group; before, the next
// one to exit gave up at once, "restarted 5 times", with none of its own.
func TestRestartLimitIsPerProcess(t *testing.T) {
	r, _ := newEnv(t, Options{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRestarts: 3, Period: time.Minute})
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "exit3", marker(t)), "supervisor", "mixed", "restart", "always")); err != nil {
		t.Fatal(err)
	}
	out, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "sleep", marker(t)), "supervisor", "mixed", "restart", "always"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failing process is given up", func() bool { return children(t, r, "mixed")[0]["status"] == "gave_up" })
	if _, err := opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": out["pid"]}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the killed process is back", func() bool {
		c := children(t, r, "mixed")[1]
		return c["status"] == "running" && c["pid"] != out["pid"] && c["restarts"] == 1
	})
}

// TestGroupForgetsItsOldestEndedProcesses: a group lists at most
// KeepEnded ended processes, the newest, beside those that run; before,
// every one-shot process a server ever started stayed listed, in memory,
// and was started again by supervisor.restart.
func TestGroupForgetsItsOldestEndedProcesses(t *testing.T) {
	_, sup := newEnv(t, Options{})
	long, err := sup.Start(Spec{Command: []string{"/bin/sleep", "300"}, Group: "api"})
	if err != nil {
		t.Fatal(err)
	}
	var last int
	for i := range KeepEnded + 3 {
		info, err := sup.Start(Spec{Command: []string{"/bin/true"}, Group: "api"})
		if err != nil {
			t.Fatal(err)
		}
		last = info.PID
		eventually(t, "one-shot "+strconv.Itoa(i)+" ends", func() bool {
			cs, _ := sup.Children("api")
			return cs[len(cs)-1].Status == "exited"
		})
	}
	cs, err := sup.Children("api")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != KeepEnded+1 || cs[0].PID != long.PID || cs[len(cs)-1].PID != last {
		t.Errorf("the group lists %d processes, first %d, last %d; want %d: the running one (%d) and the newest %d ended, the last %d", len(cs), cs[0].PID, cs[len(cs)-1].PID, KeepEnded+1, long.PID, KeepEnded, last)
	}
}

// TestCommandLinesKeepTheirRunsSecrets: a process started with a secret
// on its command line is listed with it masked by the ops that run
// outside that run (a server's supervisor and process listings), and a
// cmdline_regex cannot find the secret out by matching it.
func TestCommandLinesKeepTheirRunsSecrets(t *testing.T) {
	r, _ := newEnv(t, Options{})
	const secret = "S3cr3t-Zq9"
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{secret}})
	out, err := opstest.Execute(r, ctx, "process.start", map[string]any{
		"command": []any{"/bin/sh", "-c", "sleep 300", "x", "--token=" + secret}, "supervisor": "grp",
	})
	if err != nil {
		t.Fatal(err)
	}
	pid := out["pid"].(int)
	// Asked later, by a server that knows nothing of that run.
	plain := context.Background()
	if c := children(t, r, "grp")[0]; strings.Contains(fmt.Sprint(c), secret) {
		t.Errorf("supervisor.children shows the secret: %v", c)
	}
	info, err := opstest.Execute(r, plain, "process.info", map[string]any{"pid": pid})
	if err != nil {
		t.Fatal(err)
	}
	if cl := info["cmdline"].(string); strings.Contains(cl, secret) || !strings.Contains(cl, "--token=") {
		t.Errorf("process.info cmdline %q", cl)
	}
	list, err := opstest.Execute(r, plain, "process.list", map[string]any{"cmdline_regex": "--token=S3cr"})
	if err != nil {
		t.Fatal(err)
	}
	if n := list["count"]; n != 0 {
		t.Errorf("cmdline_regex matched the secret of %v processes: %v", n, list["processes"])
	}
	list, err = opstest.Execute(r, plain, "process.list", map[string]any{"cmdline_regex": "sleep 300 x --token="})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(list["processes"]) == "[]" || strings.Contains(fmt.Sprint(list["processes"]), secret) {
		t.Errorf("process.list: %v", list["processes"])
	}
}

// TestForkedChildrenKeepTheirRunsSecrets: a forked child carries its
// parent's command line under a pid of its own, for a moment before it
// execs or for as long as it lives (a subshell, a worker), so masking by
// the started pid alone showed the secret. Before, process.list with a
// pattern of the secret found the subshell here.
func TestForkedChildrenKeepTheirRunsSecrets(t *testing.T) {
	r, _ := newEnv(t, Options{})
	const secret = "F0rk3d-Zq9"
	file := filepath.Join(t.TempDir(), "pid")
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{secret}})
	_, err := opstest.Execute(r, ctx, "process.start", map[string]any{
		"command":    []any{"/bin/sh", "-c", `(while :; do sleep 1; done) & echo $! > "$1"; wait`, "x", file, "--token=" + secret},
		"supervisor": "forks",
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := grandchild(t, file)
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", sub))
	if err != nil || !strings.Contains(string(raw), secret) {
		t.Fatalf("the subshell's own command line (%v) should hold the secret for this test to mean anything: %q", err, raw)
	}
	plain := context.Background()
	info, err := opstest.Execute(r, plain, "process.info", map[string]any{"pid": sub})
	if err != nil {
		t.Fatal(err)
	}
	if cl := info["cmdline"].(string); strings.Contains(cl, secret) || !strings.Contains(cl, "--token=***") {
		t.Errorf("process.info of the subshell: cmdline %q", cl)
	}
	// The tree under a pid, as under a group, masks them too.
	tree, err := opstest.Execute(r, plain, "supervisor.children", map[string]any{"pid": os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(tree["children"]); strings.Contains(s, secret) || !strings.Contains(s, "--token=***") {
		t.Errorf("supervisor.children of this process: %s", s)
	}
	list, err := opstest.Execute(r, plain, "process.list", map[string]any{"cmdline_regex": "--token=F0rk"})
	if err != nil {
		t.Fatal(err)
	}
	if n := list["count"]; n != 0 {
		t.Errorf("cmdline_regex matched the secret of %v processes: %v", n, list["processes"])
	}
}

// TestSeenSecretsAreBounded: a server that starts processes for months
// keeps the newest MaxSeenSecrets secrets to mask with, not every one.
func TestSeenSecretsAreBounded(t *testing.T) {
	s := &Supervisor{running: map[int]*child{}}
	s.running[7] = &child{spec: Spec{Secrets: []string{"own-0001"}}}
	s.rememberSecretsLocked([]string{"own-0001"})
	for i := range MaxSeenSecrets {
		s.rememberSecretsLocked([]string{fmt.Sprintf("sec-%06d", i)})
	}
	if n := len(s.seen); n != MaxSeenSecrets {
		t.Fatalf("%d secrets kept, want %d", n, MaxSeenSecrets)
	}
	newest := fmt.Sprintf("sec-%06d", MaxSeenSecrets-1)
	for _, tc := range []struct {
		pid        int
		line, want string
	}{
		{7, "a own-0001 " + newest, "a *** ***"},       // its own, though dropped from the newest
		{8, "a own-0001 sec-000000", "a own-0001 ***"}, // the oldest, dropped, no longer masked for others
		{8, "b sec-000001 " + newest, "b *** ***"},
	} {
		if got := s.MaskCommandLine(tc.pid, tc.line); got != tc.want {
			t.Errorf("MaskCommandLine(%d, %q) = %q, want %q", tc.pid, tc.line, got, tc.want)
		}
	}
}
