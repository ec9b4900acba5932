//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package fileop

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// movesAt tells that placeAt works on open directories, so that a move
// within one root goes through moveBetween too: by path, a parent swapped
// for a symlink to the state dir inside the root would be followed.
const movesAt = true

// openDir opens the directory name in root for placeAt. O_DIRECTORY makes
// a FIFO put in its place fail at once rather than block the step.
func openDir(root *os.Root, name string) (*os.File, error) {
	return root.OpenFile(name, os.O_RDONLY|syscall.O_DIRECTORY, 0)
}

// placeAt is place between the open directories sdir and ddir, which hold
// src and dest under their base names. linkat(2) without
// AT_SYMLINK_FOLLOW, renameat(2) and unlinkat(2) resolve nothing but those
// names, and follow no symlink in them. Errors name the absolute paths, as
// os.Link's and os.Rename's do.
func placeAt(sdir, ddir *os.File, src, dest *target, replace, dir bool) error {
	sfd, dfd := int(sdir.Fd()), int(ddir.Fd())
	link := func(old, new string) error {
		return linkError("link", src, dest, unix.Linkat(sfd, old, dfd, new, 0))
	}
	rename := func(old, new string) error {
		return linkError("rename", src, dest, unix.Renameat(sfd, old, dfd, new))
	}
	remove := func(old string) error {
		if err := unix.Unlinkat(sfd, old, 0); err != nil {
			return &fs.PathError{Op: "remove", Path: src.abs, Err: err}
		}
		return nil
	}
	return place(link, rename, remove, filepath.Base(src.rel), filepath.Base(dest.rel), replace, dir)
}

func linkError(op string, src, dest *target, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: op, Old: src.abs, New: dest.abs, Err: err}
}
