//go:build unix

package flock

import (
	"errors"
	"os"
	"syscall"
)

// Supported says this system has flock; elsewhere TryLock always succeeds
// and Held always says no.
const Supported = true

// TryLock takes an exclusive lock on f without waiting: ErrHeld when
// another open file holds it.
func TryLock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return ErrHeld
		}
		return err
	}
}

// Unlock releases f's lock and closes it.
func Unlock(f *os.File) {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}

// Held reports whether some open file holds a lock on path; a missing file
// holds none. It opens path read-only, which flock needs no more than: a
// lock file another user made (0644) is then read, not taken for held for
// ever because it cannot be opened for writing.
func Held(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	defer f.Close()
	if err := TryLock(f); err != nil {
		return errors.Is(err, ErrHeld)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}
