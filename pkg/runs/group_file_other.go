//go:build !unix

package runs

import (
	"fmt"
	"io/fs"
	"os"
)

// oNoFollow is 0 where open has no O_NOFOLLOW; there, concurrency groups
// without a state dir are refused anyway (tryLock needs flock).
const oNoFollow = 0

// secureLockDir makes dir when it is missing and refuses a symlink or a
// file there; file owners are not checked on this system.
func secureLockDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("concurrency group lock directory %s: %w; make it or give --state-dir", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("concurrency group lock directory %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
		return fmt.Errorf("concurrency group lock directory %s is not a directory (%s); remove it or give --state-dir", dir, fi.Mode().Type())
	}
	return nil
}
