//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package fileop

import "os"

// movesAt tells that placeAt works by path here, so a move within one
// root is made by path through the root, as before.
const movesAt = false

// openDir opens the directory name in root for placeAt.
func openDir(root *os.Root, name string) (*os.File, error) { return root.Open(name) }

// placeAt is place by absolute path on systems for which x/sys/unix has
// no linkat(2): a parent directory swapped for a symlink after the checks
// is followed there.
func placeAt(_, _ *os.File, src, dest *target, replace, dir bool) error {
	return place(os.Link, os.Rename, os.Remove, src.abs, dest.abs, replace, dir)
}
