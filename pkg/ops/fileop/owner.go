package fileop

import (
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives f, a file made to take the place of the one fi
// describes, that file's owner and group: a config rewritten or a log
// rotated as root stays readable by the service that owns it. Only root
// may give a file away; anyone else keeps f as theirs and only tries the
// group, which a member of it may set.
func keepOwner(f *os.File, fi fs.FileInfo) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	uid, gid := int(st.Uid), int(st.Gid)
	if uid == os.Geteuid() && gid == os.Getegid() {
		return
	}
	if err := f.Chown(uid, gid); err != nil {
		_ = f.Chown(-1, gid)
	}
}
