package shell

import "syscall"

// The reaper is the process's, not shell.exec's alone: another operation
// that runs a program for the length of a step (a plugin's) ties it to
// arsenal-run the same way, so that it dies with arsenal-run, kill -9
// included, instead of running on, orphaned.

// LockThread locks the calling goroutine to its thread for a program
// whose attributes went through SetPdeathsig: the goroutine starts the
// program and holds the lock until it has been reaped, then calls the
// returned function.
func LockThread() (unlock func()) { return lockThread() }

// SetPdeathsig makes the kernel kill the program started with attr when
// arsenal-run is gone.
func SetPdeathsig(attr *syscall.SysProcAttr) { setPdeathsig(attr) }

// WatchGroup registers the process group pgid with the watchdog, which
// kills what is left in it if arsenal-run dies, until the returned
// function is called, once nothing in the group can run any more.
func WatchGroup(pgid int) (forget func()) {
	theReaper.watchGroup(pgid)
	return func() { theReaper.forgetGroup(pgid) }
}
