package history

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/flock"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// lockOwner creates path and holds an exclusive lock on it until
// unlockOwner. The kernel drops the lock when the process ends, however it
// ends, which is what tells MarkInterrupted the owner is gone. Without
// flock, an owner is known alive only within its own process:
// MarkInterrupted treats the running runs of every other Store as
// interrupted, so on such systems call it only where no other process
// records runs in the same state directory.
func lockOwner(path string) (*os.File, error) {
	f, err := fsx.OpenOwn(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := flock.TryLock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

func unlockOwner(f *os.File) { flock.Unlock(f) }

// lockHeld reports whether some open file description holds a lock on
// path. A missing file means its owner closed or was cleaned up.
func lockHeld(path string) bool { return flock.Held(path) }

// lockExclusive creates path and waits, at most timeout, for an exclusive
// lock on it, which unlockOwner releases. Without flock it only creates
// path: opening a state dir is then serialised within this process only
// (by the Store's callers).
func lockExclusive(path string, timeout time.Duration) (*os.File, error) {
	f, err := fsx.OpenOwn(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := flock.TryLock(f)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, flock.ErrHeld) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			f.Close()
			return nil, fmt.Errorf("lock %s: another process held it for %s", path, timeout)
		}
	}
}
