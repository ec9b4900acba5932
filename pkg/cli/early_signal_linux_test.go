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
	lock := holdOpenLock(t, state)
	pb := writePlaybook(t, dir, "p.yaml", "version: 1\nname: p\nsteps:\n  - {id: work, op: control.noop}\n")
	p := start(t, "", "run", pb, "--state-dir", state, "--log-format", "json")
	waitForOpenLock(t, p)
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

// TestDaemonStoppedAtStartExitsWithTheSignal: schedule and serve, stopped
// while they wait for another process opening their state dir, exit with
// the code of the signal that stopped them, saying which: 143 for
// SIGTERM, as when they are stopped later, 130 for SIGINT. Before, both
// exited 130, and a supervisor's SIGTERM read as a Ctrl-C.
func TestDaemonStoppedAtStartExitsWithTheSignal(t *testing.T) {
	for _, cmd := range []string{"schedule", "serve"} {
		for _, sig := range []struct {
			sig  syscall.Signal
			name string
			code int
		}{{syscall.SIGTERM, "SIGTERM", ExitTerminated}, {syscall.SIGINT, "SIGINT", ExitInterrupted}} {
			t.Run(cmd+"/"+sig.name, func(t *testing.T) {
				f := newServeFixture(t)
				lock := holdOpenLock(t, f.state)
				var args []string
				if cmd == "schedule" {
					pb := writePlaybook(t, f.dir, "nightly.yaml", "version: 1\nname: nightly\nschedule: {cron: \"30 2 * * *\"}\nsteps:\n  - {id: work, op: control.noop}\n")
					args = []string{"schedule", pb, "--state-dir", f.state}
				} else {
					args = []string{"serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--state-dir", f.state}
				}
				p := start(t, "", args...)
				waitForOpenLock(t, p)
				p.cmd.Process.Signal(sig.sig)
				code := p.wait(t)
				flock.Unlock(lock)
				if code != sig.code {
					t.Fatalf("exit %d, want %d\n%s", code, sig.code, p.stderr.String())
				}
				for _, want := range []string{"stopped at start", "interrupted by " + sig.name, "nothing was"} {
					if !strings.Contains(p.stderr.String(), want) {
						t.Errorf("stderr does not say %q:\n%s", want, p.stderr.String())
					}
				}
			})
		}
	}
}

// holdOpenLock takes the lock a process holds while it opens the history
// of the state dir, as one creating or migrating it would.
func holdOpenLock(t *testing.T, state string) *os.File {
	t.Helper()
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(state, "history.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })
	if err := flock.TryLock(lock); err != nil {
		t.Fatal(err)
	}
	return lock
}

// waitForOpenLock waits until p waits for the open lock: it has the lock
// file open.
func waitForOpenLock(t *testing.T, p *started) {
	t.Helper()
	fds := filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "fd")
	deadline := time.Now().Add(20 * time.Second)
	for !holdsOpen(fds, "history.lock") {
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			t.Fatalf("never waited for the lock; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
