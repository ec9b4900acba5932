//go:build !unix

package scheduler

import "os"

// Without flock the lock only records the pid: two schedulers on one
// state dir are not kept apart on such systems (the slot records still
// keep each slot from firing twice).
func tryLock(*os.File) (bool, error) { return false, nil }

func unlock(f *os.File) { f.Close() }
