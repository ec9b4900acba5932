package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/flock"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/short"
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

// openNoticeAfter is how long Open waits for the open lock in silence:
// past it, the user is told whom they wait for. A few milliseconds is the
// usual wait (runs started together queue there); two seconds is another
// process creating or migrating the history.
var openNoticeAfter = 2 * time.Second

// lockExclusive creates path and waits, at most timeout, for an exclusive
// lock on it, which unlockOpen releases. The holder writes its pid in
// the file, so that a process that waits names the one it waits for:
// once, after openNoticeAfter, to notice (nil for none), and in the error
// when it gives up. Without flock it only creates path: opening a state
// dir is then serialised within this process only (by the Store's
// callers). The wait ends too when ctx is done (a daemon's Ctrl-C): the
// error says whom it waited for and wraps ctx's error.
func lockExclusive(ctx context.Context, path string, timeout time.Duration, notice func(string)) (*os.File, error) {
	f, err := fsx.OpenOwn(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var told <-chan time.Time
	if notice != nil {
		t := time.NewTimer(openNoticeAfter)
		defer t.Stop()
		told = t.C
	}
	for {
		err := flock.TryLock(f)
		if err == nil {
			// Best effort: the pid only names the holder to those who
			// wait for it.
			if f.Truncate(0) == nil {
				f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			}
			return f, nil
		}
		if !errors.Is(err, flock.ErrHeld) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-tick.C:
		case <-told:
			told = nil
			notice(waitingFor(path, timeout))
		case <-deadline.C:
			f.Close()
			return nil, heldTooLong(path, timeout)
		case <-ctx.Done():
			f.Close()
			return nil, stoppedWaiting(path, context.Cause(ctx))
		}
	}
}

// waitingFor is the notice of a process that waits for the open lock at
// path: whom it waits for, for how long at most, and that stopping the
// wait is safe (nothing of the state dir is touched before the lock is
// taken).
func waitingFor(path string, timeout time.Duration) string {
	who, _ := openHolder(path, unrecordedHolder)
	return fmt.Sprintf("waiting for %s, which is opening the state dir %s (it creates the history database, or brings it to this release's schema after an upgrade; it holds %s meanwhile); giving up after %s; interrupting (Ctrl-C) is safe: nothing has run or been written yet",
		who, filepath.Dir(path), path, short.Duration(timeout))
}

// stoppedWaiting is the error of a wait for the open lock at path that
// was stopped (err, ctx's) before the lock was taken.
func stoppedWaiting(path string, err error) error {
	who, _ := openHolder(path, "another process")
	return fmt.Errorf("stopped waiting for %s, which is opening the state dir %s; nothing of it was touched: %w", who, filepath.Dir(path), err)
}

// unlockOpen empties the open lock's file of its holder's pid and
// releases it.
func unlockOpen(f *os.File) {
	f.Truncate(0)
	flock.Unlock(f)
}

// heldTooLong is the error of waiting timeout for the open lock at path:
// it names the process that holds it, when the file says, and what to do.
// Opening a state dir takes that lock for as long as it creates the
// history database or brings it to this release's schema, which on a
// large history after an upgrade can take minutes.
func heldTooLong(path string, timeout time.Duration) error {
	who, pid := openHolder(path, unrecordedHolder)
	msg := fmt.Sprintf("lock %s: waited %s for %s, which holds it while it opens this state dir (it creates the history database, or brings a large one to this release's schema after an upgrade); run again once it has opened it", path, short.Duration(timeout), who)
	if pid > 0 {
		msg += fmt.Sprintf(", or, if it is stuck (`ps -o pid,stat,etime,args -p %d` shows it stopped), end it", pid)
	}
	return errors.New(msg)
}

// unrecordedHolder names the holder of a lock whose file holds no pid.
const unrecordedHolder = "another process (it did not record its pid)"

// openHolder names the holder of the open lock at path, for the notice
// and the errors of a wait for it: "pid N" with N, the pid it wrote in
// the file, or unknown and 0 when the file holds none.
func openHolder(path, unknown string) (who string, pid int) {
	if pid = flock.HolderPID(path); pid > 0 {
		return "pid " + strconv.Itoa(pid), pid
	}
	return unknown, 0
}
