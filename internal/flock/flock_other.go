//go:build !unix

package flock

import "os"

// Supported says this system has flock; here it has not: TryLock always
// succeeds and Held always says no, so callers that need the lock check
// Supported.
const Supported = false

// TryLock does nothing without flock.
func TryLock(*os.File) error { return nil }

// Unlock closes f.
func Unlock(f *os.File) { f.Close() }

// Held always says no without flock.
func Held(string) bool { return false }
