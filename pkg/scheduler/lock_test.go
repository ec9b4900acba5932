package scheduler

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStateLockIsExclusive: a second lock of a state dir fails with the
// owner's pid, and after Unlock the dir can be locked again. (Across
// processes: TestScheduleDaemon in pkg/cli.)
func TestStateLockIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	first, err := LockStateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, LockFileName))
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q (%v), want our pid", b, err)
	}
	_, err = LockStateDir(dir)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != os.Getpid() {
		t.Fatalf("second lock: %v, want a HeldError naming pid %d", err, os.Getpid())
	}
	if want := "another scheduler (`arsenal-run schedule`, or a `serve` with scheduled playbooks), pid " + strconv.Itoa(os.Getpid()) + ", is running on this state dir"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	first.Unlock()
	first.Unlock() // idempotent
	again, err := LockStateDir(dir)
	if err != nil {
		t.Fatalf("lock after Unlock: %v", err)
	}
	again.Unlock()
}

// TestStateLockRefusesALink: a link in place of the lock file, put there
// while the state dir was open to another user, would have the scheduler
// empty the file it names and write its pid there; it is refused, named,
// and that file is left as it was.
func TestStateLockRefusesALink(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, LockFileName)
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	l, err := LockStateDir(dir)
	if err == nil {
		l.Unlock()
		t.Fatal("locked the state dir through a link")
	}
	if want := link + " is a symbolic link to " + victim; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me\n" {
		t.Errorf("the file the link names became %q", b)
	}
}
