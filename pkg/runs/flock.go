package runs

import (
	"errors"
	"io/fs"
	"os"

	"github.com/arsenal-run/arsenal-run/internal/flock"
)

// errLocked is tryLock's error when another open file holds the lock.
var errLocked = errors.New("locked")

// tryLock opens (creating) path and takes an exclusive lock on it without
// waiting. Without flock, concurrency groups need a state dir. A symlink
// at path is refused rather than followed: the lock files live in a
// directory that secureLockDir checked, and a link there must not make a
// run create or lock a file elsewhere.
func tryLock(path string) (*os.File, error) {
	if !flock.Supported {
		return nil, errors.New("concurrency groups without a state dir need flock, which this system lacks; give --state-dir")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600)
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
// file holds none. Like tryLock it does not follow a symlink at path; a
// name that cannot be opened so counts as held, so that a ticket is never
// removed on the word of a file that is not one.
func lockHeld(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	if err := flock.TryLock(f); err != nil {
		f.Close()
		return errors.Is(err, flock.ErrHeld)
	}
	flock.Unlock(f)
	return false
}
