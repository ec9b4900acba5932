package fsx

import (
	"fmt"
	"io/fs"
)

// Octal writes a file mode's permission bits as ls and stat show them,
// setuid, setgid and sticky in the leading digit: 2775 for a setgid
// directory, where fs.FileMode.Perm alone would give 0775.
func Octal(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return fmt.Sprintf("%04o", n)
}
