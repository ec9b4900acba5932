package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/flock"
)

// TestSignalWhileStateOpensExitsCleanly sends SIGINT to the built binary
// while it waits for its state dir (another process holds the lock taken
// while the history is opened and migrated): the process is not killed
// by the signal, it stops waiting at once, says that nothing ran and
// exits 130, and no run is recorded.
func TestSignalWhileStateOpensExitsCleanly(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(state, "history.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := flock.TryLock(lock); err != nil {
		t.Fatal(err)
	}
	pb := writePlaybook(t, dir, "p.yaml", "version: 1\nname: p\nsteps:\n  - {id: work, op: control.noop}\n")
	p := start(t, "", "run", pb, "--state-dir", state, "--log-format", "json")
	// Waiting for the lock: the process has the lock file open.
	fds := filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "fd")
	deadline := time.Now().Add(20 * time.Second)
	for !holdsOpen(fds, "history.lock") {
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			t.Fatalf("never waited for the lock; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	// It stops waiting at once: the lock is still held when it exits.
	code := p.wait(t)
	flock.Unlock(lock)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "interrupted by SIGINT before the run started, while it waited to open the state; nothing ran") {
		t.Errorf("stderr does not say nothing ran:\n%s", p.stderr.String())
	}
	if reps, _ := os.ReadDir(filepath.Join(state, "reports")); len(reps) != 0 {
		t.Errorf("a run was recorded: %v", reps)
	}
}

// holdsOpen reports whether one of the descriptors in fds (a
// /proc/PID/fd directory) is a file named name.
func holdsOpen(fds, name string) bool {
	ents, _ := os.ReadDir(fds)
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && filepath.Base(target) == name {
			return true
		}
	}
	return false
}
