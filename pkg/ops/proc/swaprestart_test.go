package proc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestDaemonRestartJudgesTheProgramAgain: a program process.start ran
// under a supervisor in a run of serve or schedule, safe when it started,
// is judged again before each restart, automatic or asked for: once its
// directory is made one every user may write, any of them could rename a
// file of their own over it and have root run it at the next restart, so
// the restart fails, naming the program and the chmod to do, and the
// process is not started from it. Made safe again, it restarts.
func TestDaemonRestartJudgesTheProgramAgain(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to judge a directory as another user would see it")
	}
	r, _ := newEnv(t, Options{})
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	worker := filepath.Join(bin, "worker")
	if err := os.WriteFile(worker, []byte("#!/bin/sh\nexec sleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: dir, RefuseSwappable: true})
	out, err := opstest.Execute(r, daemon, "process.start", map[string]any{"command": []any{worker}, "supervisor": "w", "restart": "always"})
	if err != nil {
		t.Fatal(err)
	}
	first := out["pid"].(int)
	t.Cleanup(func() {
		if out, err := opstest.Execute(r, context.Background(), "supervisor.stop", map[string]any{"supervisor": "w"}); err == nil {
			for _, p := range out["stopped"].([]any) {
				gone(t, p.(int))
			}
		}
	})
	if err := os.Chmod(bin, 0o777); err != nil {
		t.Fatal(err)
	}
	want := []string{"command: the program is in " + bin + ", a directory every user of this host may write (mode 0777)", "chmod o-w " + bin}

	_, err = opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"supervisor": "w"})
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("a restart asked for, the program's directory made 0777: no %q in %v", w, err)
		}
	}
	gone(t, first)
	if c := children(t, r, "w")[0]; c["pid"] != first || c["status"] == "running" {
		t.Errorf("a refused restart started a process: %v", c)
	}

	// Made safe again, it restarts; an automatic restart is refused as
	// the one asked for, and says why when the supervisor gives up.
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err = opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"supervisor": "w"})
	if err != nil {
		t.Fatalf("a restart asked for, the program's directory made 0755 again: %v", err)
	}
	second := out["restarted"].([]any)[0].(int)
	var c map[string]any
	if err := os.Chmod(bin, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(second, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the supervisor gives up the refused restarts", func() bool {
		c = children(t, r, "w")[0]
		return c["status"] == "gave_up"
	})
	for _, w := range want {
		if e, _ := c["error"].(string); !strings.Contains(e, w) {
			t.Errorf("an automatic restart, the program's directory made 0777: no %q in %v", w, c)
		}
	}
	if c["pid"] != second {
		t.Errorf("a refused automatic restart started pid %v", c["pid"])
	}
	gone(t, second)
}

// TestDaemonRestartJudgesTheEnvAgain: what a supervised process's env
// names (a PATH directory, relative to its working directory too) and the
// program found through that PATH are judged again before a restart, as
// its command is: a directory of them made one every user may write since
// the start refuses the restart, naming the variable or the program.
func TestDaemonRestartJudgesTheEnvAgain(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to judge a directory as another user would see it")
	}
	r, _ := newEnv(t, Options{})
	dir := t.TempDir()
	tools, lib := filepath.Join(dir, "tools"), filepath.Join(dir, "lib")
	for _, d := range []string{tools, lib} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(tools, "worker"), []byte("#!/bin/sh\nexec sleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: dir, RefuseSwappable: true})
	for _, tc := range []struct {
		name, chmod string
		env         map[string]any
		want        string
	}{
		{"found", tools, map[string]any{"PATH": tools + ":/usr/bin:/bin"}, "env PATH: "},
		{"relative", lib, map[string]any{"PATH": tools + ":/usr/bin:/bin", "LD_LIBRARY_PATH": "lib"}, "env LD_LIBRARY_PATH: "},
	} {
		group := "env-" + tc.name
		out, err := opstest.Execute(r, daemon, "process.start", map[string]any{"command": []any{"worker"}, "env": tc.env, "supervisor": group, "restart": "always"})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		pid := out["pid"].(int)
		if err := os.Chmod(tc.chmod, 0o777); err != nil {
			t.Fatal(err)
		}
		_, err = opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"supervisor": group})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "-w "+tc.chmod) {
			t.Errorf("%s: a restart, %s made 0777: %v, want a refusal naming %q", tc.name, tc.chmod, err, tc.want)
		}
		gone(t, pid)
		if c := children(t, r, group)[0]; c["pid"] != pid || c["status"] == "running" {
			t.Errorf("%s: a refused restart started a process: %v", tc.name, c)
			_, _ = opstest.Execute(r, context.Background(), "supervisor.stop", map[string]any{"supervisor": group})
		}
		if err := os.Chmod(tc.chmod, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The program alone found through a PATH of this process's, not the
	// step's: made 0777, its directory refuses the restart too.
	t.Setenv("PATH", tools+":/usr/bin:/bin")
	out, err := opstest.Execute(r, daemon, "process.start", map[string]any{"command": []any{"worker"}, "supervisor": "found", "restart": "always"})
	if err != nil {
		t.Fatal(err)
	}
	pid := out["pid"].(int)
	if err := os.Chmod(tools, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"supervisor": "found"})
	if err == nil || !strings.Contains(err.Error(), "the program worker (found through PATH)") {
		t.Errorf("a restart, the directory the program was found in made 0777: %v", err)
	}
	gone(t, pid)
	if c := children(t, r, "found")[0]; c["pid"] != pid || c["status"] == "running" {
		t.Errorf("a refused restart started a process: %v", c)
		_, _ = opstest.Execute(r, context.Background(), "supervisor.stop", map[string]any{"supervisor": "found"})
	}
}
