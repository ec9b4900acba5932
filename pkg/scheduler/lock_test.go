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
	if want := "another scheduler, pid " + strconv.Itoa(os.Getpid()) + ", is running on this state dir"; !strings.Contains(err.Error(), want) {
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
