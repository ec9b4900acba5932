//go:build unix

package fsroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// securePrivate makes dir when it is missing and checks that it is a
// directory of this user's that no one else may write. It opens dir
// without following a symlink and checks what it opened, so that the
// directory checked is the one used. One of this user's that others may
// write is tightened to 0700 (through the open directory, not its name);
// one of another user's is refused, never changed.
func securePrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("making arsenal-run's private runtime directory %s: %w; set TMPDIR to a writable directory", dir, err)
	}
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if fi, lerr := os.Lstat(dir); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return privateDirError(dir, "is a symlink: another user may have put it there to read or plant the files of this user's runs")
		}
		return privateDirError(dir, fmt.Sprintf("cannot be opened (%v)", err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return privateDirError(dir, fmt.Sprintf("cannot be read (%v)", err))
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return privateDirError(dir, "has an owner that cannot be read")
	}
	if me := os.Geteuid(); int(st.Uid) != me {
		return privateDirError(dir, fmt.Sprintf("belongs to uid %d, not to this user (uid %d): another user may have made it to read or plant the files of this user's runs", st.Uid, me))
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o700); err != nil {
			return privateDirError(dir, fmt.Sprintf("is open to others (mode %s) and could not be made 0700 (%v)", fsx.Octal(fi.Mode()), err))
		}
	}
	return nil
}
