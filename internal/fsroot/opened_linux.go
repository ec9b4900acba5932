package fsroot

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
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

// dirFlag opens a directory to tell where it is: O_PATH, so that one its
// owner may write but not list (a drop box, 0300) is opened too.
const dirFlag = unix.O_PATH | unix.O_DIRECTORY

// guardOpenedDir is GuardOpened for the open directory f itself.
func guardOpenedDir(f *os.File) error { return guardOpened(f, "") }
