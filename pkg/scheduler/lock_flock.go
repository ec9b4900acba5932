package scheduler

import (
	"errors"
	"os"

	"github.com/arsenal-run/arsenal-run/internal/flock"
)

// tryLock takes an exclusive lock on f without waiting; held says another
// process has it. Without flock the lock only records the pid: two
// schedulers on one state dir are not kept apart on such systems (the slot
// records still keep each slot from firing twice).
func tryLock(f *os.File) (held bool, err error) {
	err = flock.TryLock(f)
	if errors.Is(err, flock.ErrHeld) {
		return true, nil
	}
	return false, err
}

func unlock(f *os.File) { flock.Unlock(f) }
