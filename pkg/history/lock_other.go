//go:build !unix

package history

import (
	"os"
	"time"
)

// Without flock, an owner is known alive only within its own process:
// MarkInterrupted treats the running runs of every other Store as
// interrupted, so on such systems call it only where no other process
// records runs in the same state directory.
func lockOwner(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}

func unlockOwner(f *os.File) { f.Close() }

func lockHeld(path string) bool { return false }

// lockExclusive only creates path: without flock, opening a state dir is
// serialised within this process only (by the Store's callers).
func lockExclusive(path string, _ time.Duration) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}
