package report

import (
	"errors"
	"os"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// unnamedFile is a file in a directory that has no name yet (O_TMPFILE):
// it appears under a name only when link gives it one, whole, and
// vanishes with the process if that never happens. It costs a third less
// than a named temporary file and a rename, and leaves no temporary file
// behind a killed process. It is a bare descriptor, not an *os.File: a
// report's file is written once and closed, and an *os.File would ask
// the kernel for the descriptor's flags (a system call) and take a
// finalizer for nothing.
type unnamedFile struct {
	fd  int
	dir string
}

// createUnnamed opens an unnamed file in dir with mode less the umask.
// Filesystems without O_TMPFILE answer an error, and the caller falls
// back to a named temporary file.
func createUnnamed(dir string, mode os.FileMode) (*unnamedFile, error) {
	for {
		fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(mode.Perm()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &unnamedFile{fd: fd, dir: dir}, nil
	}
}

// Write writes all of data, as an *os.File does.
func (f *unnamedFile) Write(data []byte) (int, error) {
	n := 0
	for n < len(data) {
		m, err := unix.Write(f.fd, data[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, &os.PathError{Op: "write", Path: f.dir, Err: err}
		}
		if m == 0 {
			return n, &os.PathError{Op: "write", Path: f.dir, Err: unix.EIO}
		}
		n += m
	}
	return n, nil
}

func (f *unnamedFile) Sync() error {
	for {
		err := unix.Fsync(f.fd)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "sync", Path: f.dir, Err: err}
		}
		return nil
	}
}

// Close closes the descriptor; a second call does nothing.
func (f *unnamedFile) Close() error {
	if f.fd < 0 {
		return nil
	}
	fd := f.fd
	f.fd = -1
	// close(2) is not retried on EINTR: the descriptor is gone either way.
	if err := unix.Close(fd); err != nil {
		return &os.PathError{Op: "close", Path: f.dir, Err: err}
	}
	return nil
}

// emptyPathLink says whether linkat(2) names a descriptor itself
// (AT_EMPTY_PATH) for this process: 0 not yet known, 1 yes, 2 no. Linux
// allows it to a process with CAP_DAC_READ_SEARCH, and since 6.10 to the
// process that opened the file; elsewhere it fails with ENOENT, and the
// file is linked through /proc/self/fd, which costs a path walk more.
var emptyPathLink atomic.Int32

// link gives f the name path. It fails, and changes nothing, when path
// exists.
func (f *unnamedFile) link(path string) error {
	if emptyPathLink.Load() != 2 {
		err := unix.Linkat(f.fd, "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
		if err == nil {
			emptyPathLink.Store(1)
			return nil
		}
		if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EPERM) {
			return &os.LinkError{Op: "link", Old: f.dir, New: path, Err: err}
		}
		// ENOENT is also a directory of path gone; the link through
		// /proc below then fails too, and says so.
	}
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(f.fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.dir, New: path, Err: err}
	}
	if emptyPathLink.Load() == 0 {
		emptyPathLink.Store(2)
	}
	return nil
}
