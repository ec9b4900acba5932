//go:build unix

package runs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// oNoFollow makes an open fail on a symlink at the name itself, so that a
// link planted in a lock directory cannot make a run create or lock a
// file elsewhere.
const oNoFollow = syscall.O_NOFOLLOW

// secureLockDir makes dir when it is missing and checks that it is a
// directory of this user's that no one else may write: a directory
// another user made first (the temporary directory is shared) could hold
// their cancel requests, their symlinks or their locks. It opens dir
// without following a symlink and checks what it opened, so that the
// directory checked is the one used. A directory of this user's that
// others may write is tightened to 0700 (through the open directory, not
// its name); one of another user's is refused, never changed.
func secureLockDir(dir string) error {
	switch err := os.Mkdir(dir, 0o700); {
	case err == nil, errors.Is(err, fs.ErrExist):
	default:
		return fmt.Errorf("concurrency group lock directory %s: %w; make it (mode 0700) or give --state-dir", dir, err)
	}
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if fi, lerr := os.Lstat(dir); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("concurrency group lock directory %s is a symlink: another user may have put it there to take over the runs' locks; remove it (rm %s) or give --state-dir", dir, dir)
		}
		return fmt.Errorf("concurrency group lock directory %s: %w; remove it or give --state-dir", dir, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("concurrency group lock directory %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("concurrency group lock directory %s: its owner cannot be read; give --state-dir", dir)
	}
	if me := os.Geteuid(); int(st.Uid) != me {
		return fmt.Errorf("concurrency group lock directory %s belongs to uid %d, not to this user (uid %d): another user may have made it to cancel, redirect or block this user's runs; remove it (rm -r %s) or give --state-dir", dir, st.Uid, me, dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		if err := f.Chmod(0o700); err != nil {
			return fmt.Errorf("concurrency group lock directory %s is writable by others (mode %s) and could not be made 0700: %w; remove it or give --state-dir", dir, fsx.Octal(fi.Mode()), err)
		}
	}
	return nil
}
