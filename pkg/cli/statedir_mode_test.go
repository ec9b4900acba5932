package cli

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDaemonsMakeTheStateDirPrivate: a state dir that schedule or serve
// makes is 0700, as one run makes: it holds what runs read with their
// rights. Both used to make it 0755 before the history saw it, and a
// state dir that exists keeps its mode.
func TestDaemonsMakeTheStateDirPrivate(t *testing.T) {
	mode := func(t *testing.T, dir string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	t.Run("schedule", func(t *testing.T) {
		dir := t.TempDir()
		jobs := filepath.Join(dir, "jobs")
		if err := os.Mkdir(jobs, 0o755); err != nil {
			t.Fatal(err)
		}
		writePlaybook(t, jobs, "tick.yaml", everySecond)
		state := filepath.Join(dir, "state")
		p := start(t, "scheduler started", "schedule", jobs, "--state-dir", state)
		defer func() {
			p.cmd.Process.Signal(syscall.SIGTERM)
			p.wait(t)
		}()
		if m := mode(t, state); m != 0o700 {
			t.Errorf("schedule made its state dir %04o, want 0700", m)
		}
	})
	t.Run("serve", func(t *testing.T) {
		f := newServeFixture(t)
		p, _ := f.serve(t, "--no-schedule")
		defer func() {
			p.cmd.Process.Signal(syscall.SIGTERM)
			p.wait(t)
		}()
		if m := mode(t, f.state); m != 0o700 {
			t.Errorf("serve made its state dir %04o, want 0700", m)
		}
	})
}
