//go:build unix

package report

import (
	"io/fs"
	"os"
	"syscall"
)

// openKey opens the key file without following a symlink at its name.
func openKey(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}

func ownedBySelf(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
