// Package flock takes advisory whole-file locks (flock(2)), the way the
// history's owners, the scheduler's state-dir lock and concurrency groups
// without a state dir keep processes apart. A lock belongs to an open file
// and ends when the file is closed, or its process dies.
package flock

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrHeld is TryLock's error when another open file holds the lock.
var ErrHeld = errors.New("held by another open file")

// HolderPID reads the pid a lock's holder wrote in the lock file at path,
// waiting up to about half a second for a holder that has just taken the
// lock to write it; 0 when none is there.
func HolderPID(path string) int {
	for range 20 {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			return pid
		}
		time.Sleep(25 * time.Millisecond)
	}
	return 0
}
