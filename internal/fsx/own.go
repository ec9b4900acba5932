package fsx

import (
	"fmt"
	"io/fs"
	"os"
)

// LinkError is a symbolic link where arsenal-run opens a file of its own
// to write (a lock, a database, a log).
type LinkError struct {
	Path, Target string
}

func (e *LinkError) Error() string {
	return fmt.Sprintf("%s is a symbolic link to %s; arsenal-run does not follow a link in place of a file it writes, as one another user put there would have it empty or write the file it names: remove the link (rm %s), or give the path of the file itself",
		e.Path, e.Target, e.Path)
}

// OpenOwn opens path, with flag and, when it is made, perm, as os.OpenFile
// does, but never through a symbolic link in its place: that is a
// *LinkError. The directories above path are followed.
func OpenOwn(path string, flag int, perm fs.FileMode) (*os.File, error) {
	if noFollow == 0 {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, linkError(path)
		}
	}
	f, err := os.OpenFile(path, flag|noFollow, perm)
	if err != nil {
		// ELOOP on Linux, EMLINK on FreeBSD: look rather than match them.
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, linkError(path)
		}
		return nil, err
	}
	return f, nil
}

func linkError(path string) error {
	target, _ := os.Readlink(path)
	return &LinkError{Path: path, Target: target}
}
