//go:build unix

package flock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestTryLockHeldUnlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	if Held(path) {
		t.Fatal("a missing file is held")
	}
	a, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := TryLock(a); err != nil {
		t.Fatal(err)
	}
	b, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := TryLock(b); !errors.Is(err, ErrHeld) {
		t.Errorf("a second open file took the lock: %v", err)
	}
	if !Held(path) {
		t.Error("Held says no while the lock is held")
	}
	Unlock(a)
	if Held(path) {
		t.Error("Held says yes after Unlock")
	}
	if err := TryLock(b); err != nil {
		t.Errorf("the freed lock could not be taken: %v", err)
	}
}
