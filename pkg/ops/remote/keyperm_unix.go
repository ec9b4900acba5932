//go:build unix

package remote

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByMe tells whether the file described by fi belongs to the user
// this process runs as: OpenSSH checks the mode of such key files only.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
