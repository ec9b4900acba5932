package fileop

import (
	"os"
	"strconv"
)

// openedPath returns where the open directory dir really is, read back
// from /proc, with every symlink on the way to it resolved: os.Root
// follows one that stays inside the root, so the name dir was opened by
// may lead somewhere else (into the state dir, say). ok is false when
// /proc cannot tell.
func openedPath(dir *os.File) (path string, ok bool) {
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(dir.Fd())))
	return p, err == nil
}
