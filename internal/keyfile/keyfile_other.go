//go:build !unix

package keyfile

import (
	"io/fs"
	"os"
)

func openNoFollow(path string) (*os.File, error) { return os.Open(path) }

// ownedBySelf cannot be told without Unix file owners; the mode check
// still applies.
func ownedBySelf(fs.FileInfo) bool { return true }
