package history

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrStateDirMoved is in the error of CheckDir: the state dir's path no
// longer names the directory this Store opened.
var ErrStateDirMoved = errors.New("the state dir was moved or removed after it was opened")

// holdDir keeps a handle on the state dir as opened, and what it was, for
// CheckDir.
func (s *Store) holdDir() error {
	f, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	s.dirFile, s.dirInfo = f, fi
	return nil
}

// CheckDir reports, with what to do, when the state dir's path no longer
// names the directory this Store opened: it (or a directory above it, a
// working directory a relative --state-dir was given in) was renamed or
// removed since. The history database stays open where it went, but every
// report would be written to a path that is gone, or into a directory
// whose owner and mode were never checked: a long-running process must
// start no run until the directory is back or it is restarted. One stat.
func (s *Store) CheckDir() error {
	if s.dirInfo == nil {
		return nil
	}
	fi, err := os.Stat(s.dir)
	if err == nil && os.SameFile(fi, s.dirInfo) {
		return nil
	}
	what := "no longer exists"
	if err == nil {
		what = "now names another directory, whose owner and mode were never checked"
	}
	return fmt.Errorf("%w: %s %s%s; no report can be written there, so no run starts: move it back, or restart with --state-dir naming where it is now",
		ErrStateDirMoved, s.dir, what, s.whereNow())
}

// whereNow says where the directory this Store opened is now, as the
// handle on it tells (Linux's /proc), or "".
func (s *Store) whereNow() string {
	if s.dirFile == nil {
		return ""
	}
	now, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", s.dirFile.Fd()))
	switch {
	case err != nil || now == s.dir:
		return ""
	case strings.HasSuffix(now, " (deleted)"):
		return " (the directory opened at start was removed)"
	}
	return fmt.Sprintf(" (the directory opened at start is now %s)", now)
}
