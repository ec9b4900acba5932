//go:build !unix

package fsroot

import (
	"fmt"
	"io/fs"
	"os"
)

// securePrivate makes dir when it is missing and refuses a symlink or a
// file there; file owners are not checked on this system.
func securePrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("making arsenal-run's private runtime directory %s: %w; set TMPDIR to a writable directory", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return privateDirError(dir, fmt.Sprintf("cannot be read (%v)", err))
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
		return privateDirError(dir, fmt.Sprintf("is not a directory (%s)", fi.Mode().Type()))
	}
	return nil
}
