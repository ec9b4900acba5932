package proc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestDaemonRestartJudgesThePreloadedLibraryAgain: what the step's env makes a
// supervised program load besides itself (a library of LD_PRELOAD, a
// directory of PATH) is judged again before a restart, as the program
// is: once the library's directory is made one every user may write, any
// of them could put a library of their own there that the restarted
// process would load with the run's rights, so the restart fails naming
// the variable and the chmod to do.
func TestDaemonRestartJudgesThePreloadedLibraryAgain(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to judge a directory as another user would see it")
	}
	r, _ := newEnv(t, Options{})
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	if err := os.Mkdir(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	hook := filepath.Join(lib, "hook.so")
	if err := os.WriteFile(hook, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: dir, RefuseSwappable: true})
	out, err := opstest.Execute(r, daemon, "process.start", map[string]any{"command": []any{"/bin/sleep", "300"},
		"env": map[string]any{"LD_PRELOAD": hook}, "supervisor": "w", "restart": "always"})
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
	if err := os.Chmod(lib, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"supervisor": "w"})
	for _, w := range []string{"env LD_PRELOAD", lib, "chmod o-w " + lib} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("a restart asked for, the directory of its LD_PRELOAD library made 0777: no %q in %v", w, err)
		}
	}
	gone(t, first)
	if c := children(t, r, "w")[0]; c["pid"] != first || c["status"] == "running" {
		t.Errorf("a refused restart started a process: %v", c)
	}
}

// TestDaemonJudgesTheEnvFilesVariables: what the run's env files set in
// a process's environment (ops.Call.FileEnv) is judged as the step's env
// is, at the start and again before a supervisor's restart: the library
// its LD_PRELOAD names, once its directory is one every user may write,
// refuses the restart naming the env file's line. A start whose step's
// env sets the variable does not get the file's value and starts.
func TestDaemonJudgesTheEnvFilesVariables(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to judge a directory as another user would see it")
	}
	r, _ := newEnv(t, Options{})
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	if err := os.Mkdir(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	hook := filepath.Join(lib, "hook.so")
	if err := os.WriteFile(hook, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fileEnv := []string{"LD_PRELOAD=" + hook}
	call := &ops.Call{Dir: dir, RefuseSwappable: true, Environ: append(os.Environ(), fileEnv...), FileEnv: fileEnv,
		FileEnvAt: func(name string) string { return "/books/.env:2" }}
	daemon := ops.WithCall(context.Background(), call)
	out, err := opstest.Execute(r, daemon, "process.start", map[string]any{"command": []any{"/bin/sleep", "300"},
		"supervisor": "f", "restart": "always"})
	if err != nil {
		t.Fatal(err)
	}
	first := out["pid"].(int)
	t.Cleanup(func() {
		if out, err := opstest.Execute(r, context.Background(), "supervisor.stop", map[string]any{"supervisor": "f"}); err == nil {
			for _, p := range out["stopped"].([]any) {
				gone(t, p.(int))
			}
		}
	})
	if err := os.Chmod(lib, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = opstest.Execute(r, daemon, "process.start", map[string]any{"command": []any{"/bin/true"}})
	if want := "env_file /books/.env:2 LD_PRELOAD: a library LD_PRELOAD loads is in " + lib; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a start with the env file's LD_PRELOAD in a directory of mode 0777: %v; want %q", err, want)
	}
	if _, err := opstest.Execute(r, daemon, "process.start", map[string]any{"command": []any{"/bin/true"},
		"env": map[string]any{"LD_PRELOAD": ""}}); err != nil {
		t.Errorf("a start whose step's env sets LD_PRELOAD: %v", err)
	}
	_, err = opstest.Execute(r, context.Background(), "supervisor.restart", map[string]any{"supervisor": "f"})
	for _, w := range []string{"env_file /books/.env:2 LD_PRELOAD", lib, "chmod o-w " + lib} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("a restart asked for, the directory of the env file's LD_PRELOAD library made 0777: no %q in %v", w, err)
		}
	}
	gone(t, first)
	if c := children(t, r, "f")[0]; c["pid"] != first || c["status"] == "running" {
		t.Errorf("a refused restart started a process: %v", c)
	}
}
