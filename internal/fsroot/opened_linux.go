package fsroot

import (
	"os"
	"strconv"
)

// GuardOpened is Guard for a file already open, by where it really is:
// the path it was opened by was checked first, but a symlink swapped in
// between (by whoever owns a directory on the way) could have led the
// open somewhere protected.
func GuardOpened(f *os.File) error { return guardOpened(f, "") }

// guardOpened is GuardOpened with guard's readable.
func guardOpened(f *os.File, readable string) error {
	if len(protectedPaths()) == 0 {
		return nil
	}
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		return nil // no /proc: the check of the path before the open stands alone
	}
	return guard(p, readable)
}
