package proc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// rootScope sets the file roots of a call.
type rootScope struct{ roots []string }

func (s rootScope) FileRoots() []string { return s.roots }

// TestStartOutputFilesStayInRoots: stdout_file and stderr_file of
// process.start lie inside the caller's file roots, as shell.exec's do; a
// path outside them, or one that a symlink or ".." leads out of, is denied
// and nothing starts.
func TestStartOutputFilesStayInRoots(t *testing.T) {
	r, _ := newEnv(t, Options{})
	root, outside := t.TempDir(), t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: root, Scope: rootScope{[]string{root}}})
	if err := os.Symlink(outside, filepath.Join(root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "f.log"), filepath.Join(root, "f.log")); err != nil {
		t.Fatal(err)
	}
	for _, param := range []string{"stdout_file", "stderr_file"} {
		for _, path := range []string{filepath.Join(outside, "x.log"), "../x.log", "dir-out/x.log", "f.log"} {
			out, err := opstest.Execute(r, ctx, "process.start", map[string]any{"command": []any{"true"}, param: path})
			if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "file roots") || out != nil {
				t.Errorf("%s %s: %v %v, want a denial and nothing started", param, path, out, err)
			}
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the roots: %v", entries)
	}
	// A role with file_roots: [] may not name an output file at all.
	none := ops.WithCall(context.Background(), &ops.Call{Dir: root, Scope: rootScope{[]string{}}})
	if _, err := opstest.Execute(r, none, "process.start", map[string]any{"command": []any{"true"}, "stdout_file": "out.log"}); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("stdout_file with no file roots: %v, want a denial", err)
	}

	// Inside the roots, both streams are appended to one file.
	if err := os.WriteFile(filepath.Join(root, "all.log"), []byte("before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := opstest.Execute(r, ctx, "process.start", map[string]any{
		"command": []any{"sh", "-c", "echo out; echo err >&2"}, "stdout_file": "all.log", "stderr_file": filepath.Join(root, "all.log")})
	if err != nil {
		t.Fatal(err)
	}
	gone(t, out["pid"].(int))
	if b, _ := os.ReadFile(filepath.Join(root, "all.log")); string(b) != "before\nout\nerr\n" {
		t.Errorf("all.log: %q", b)
	}

	// A FIFO in the file's place is refused at once, not waited on.
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := opstest.Execute(r, ctx, "process.start", map[string]any{"command": []any{"true"}, "stdout_file": "fifo"}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("stdout_file a FIFO: %v", err)
	}
}

// TestRestartReopensOutputInsideRoots: a supervised process's output file
// is opened again on every restart, and that open stays inside the roots
// too: a symlink put in the file's place after the first start does not
// lead the restarted process's output out of them.
func TestRestartReopensOutputInsideRoots(t *testing.T) {
	r, sup := newEnv(t, Options{})
	root, outside := t.TempDir(), t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: root, Scope: rootScope{[]string{root}}})
	logPath := filepath.Join(root, "out.log")
	out, err := opstest.Execute(r, ctx, "process.start", map[string]any{
		"command": []any{"sh", "-c", "echo started; exec sleep 300"}, "stdout_file": "out.log",
		"supervisor": "confined", "restart": "always"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the process wrote its first line", func() bool {
		b, _ := os.ReadFile(logPath)
		return string(b) == "started\n"
	})
	if err := os.Remove(logPath); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "out.log"), logPath); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(out["pid"].(int), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	gone(t, out["pid"].(int))
	eventually(t, "the supervisor gave up restarting, or the output left the roots", func() bool {
		if _, err := os.Lstat(filepath.Join(outside, "out.log")); err == nil {
			return true
		}
		cs, err := sup.Children("confined")
		return err == nil && len(cs) == 1 && cs[0].Status == "gave_up"
	})
	if _, err := os.Stat(filepath.Join(outside, "out.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the restarted process wrote outside the roots: %v", err)
	}
	// A manual restart is refused the same way.
	if _, err := opstest.Execute(r, ctx, "supervisor.restart", map[string]any{"supervisor": "confined"}); err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Errorf("supervisor.restart with the output file a symlink out of the roots: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "out.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("supervisor.restart wrote outside the roots: %v", err)
	}
}
