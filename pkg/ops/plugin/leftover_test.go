package plugin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestExitEndsTheGroup: a background child a program leaves behind when
// it exits is killed with its process group, as docs/extending.md says:
// a plugin cannot start a process that outlives its step.
func TestExitEndsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	write(t, dir, "p.prog", "#!/bin/sh\nsleep 60 >/dev/null 2>&1 &\necho $! > "+pidFile+"\necho '{}'\n", 0o755)
	write(t, dir, "p.yaml", "version: 1\nname: acme.p\ncategory: acme\ndescription: Leave a child.\nrisk: read\ncommand: [./p.prog]\n", 0o644)
	reg := registry(t, dir, plugin.Options{})
	if _, err := opstest.Execute(reg, callCtx(), "acme.p", nil); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pidFile, "the step")
}

// waitGone waits until the process whose pid the file pidFile holds has
// ended (or is a zombie), and fails the test if it outlives what after a
// generous moment: SIGKILL has been sent.
func waitGone(t *testing.T, pidFile, what string) {
	t.Helper()
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(data))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin's child %s outlived %s: %s", pid, what, st)
		}
	}
}
