//go:build !unix

package runs

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

// Without flock, concurrency groups need a state dir.
func tryLock(string) (*os.File, error) {
	return nil, errors.New("concurrency groups without a state dir need flock, which this system lacks; give --state-dir")
}

func unlock(f *os.File) { f.Close() }

func lockHeld(string) bool { return false }
