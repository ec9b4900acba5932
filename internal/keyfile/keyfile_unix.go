//go:build unix

package keyfile

import (
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens path for reading and refuses a symlink at the name.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}

func ownedBySelf(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
