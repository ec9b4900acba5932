// Package flock takes advisory whole-file locks (flock(2)), the way the
// history's owners, the scheduler's state-dir lock and concurrency groups
// without a state dir keep processes apart. A lock belongs to an open file
// and ends when the file is closed, or its process dies.
package flock

import "errors"

// ErrHeld is TryLock's error when another open file holds the lock.
var ErrHeld = errors.New("held by another open file")
