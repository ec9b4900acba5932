package runs

import (
	"errors"
	"os"

	"github.com/arsenal-run/arsenal-run/internal/flock"
)

// errLocked is tryLock's error when another open file holds the lock.
var errLocked = errors.New("locked")

// tryLock opens (creating) path and takes an exclusive lock on it without
// waiting. Without flock, concurrency groups need a state dir.
func tryLock(path string) (*os.File, error) {
	if !flock.Supported {
		return nil, errors.New("concurrency groups without a state dir need flock, which this system lacks; give --state-dir")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock.TryLock(f); err != nil {
		f.Close()
		if errors.Is(err, flock.ErrHeld) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}

func unlock(f *os.File) { flock.Unlock(f) }

// lockHeld reports whether some open file holds a lock on path; a missing
// file holds none.
func lockHeld(path string) bool { return flock.Held(path) }
