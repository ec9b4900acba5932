//go:build unix

package fsroot

import (
	"io/fs"
	"syscall"
)

// links is how many names the file fi describes has; 1 when unknown.
func links(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// device is the device of the file fi describes.
func device(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
}

// fileID is a file's device and inode.
type fileID struct{ dev, ino uint64 }

// idOf is the device and inode of the file fi describes.
func idOf(fi fs.FileInfo) (fileID, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(st.Dev), uint64(st.Ino)}, true
	}
	return fileID{}, false
}

// stampOf is the stamp of the directory fi describes.
func stampOf(fi fs.FileInfo) (stamp, bool) {
	id, ok := idOf(fi)
	return stamp{id, fi.ModTime().UnixNano()}, ok
}
