// Package fsx opens the files arsenal-run reads and appends to on a user's
// say-so (a playbook, a policy, an inputs file, a report, a job summary)
// so that a path naming something other than a regular file is refused
// with a clear error instead of hanging or exhausting memory: opening a
// FIFO blocks until a writer comes, /dev/zero never ends, and a terminal
// device could become the process's controlling terminal.
package fsx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is matched (errors.Is) by the errors for a path that is not
// a regular file.
var ErrNotRegular = errors.New("not a regular file")

// NotRegularError says what a path is instead of a regular file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, Kind(e.Mode))
}

// Is makes the error match ErrNotRegular.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// TooLargeError is a file over the size a reader accepts.
type TooLargeError struct {
	Path  string
	Size  int64
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than the limit of %s", e.Path, Bytes(e.Limit))
}

// Kind names what a file mode is, with its article: "a directory", "a
// named pipe (FIFO)".
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file"
}

// Bytes formats a size limit for people: 1 MiB, 256 KiB, 100 bytes.
func Bytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Open opens path for reading and returns it only if it is a regular file.
// The open itself never blocks (on a FIFO without a writer) and never makes
// a terminal the controlling one.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	if err := regular(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// OpenIn is Open for name inside root: it never leaves the root (nor
// follows a link out of it), never blocks, and returns only a regular
// file.
func OpenIn(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	if err := regular(f, name); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads the regular file at path, of at most limit bytes.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadOpen(f, path, limit)
}

// ReadOpen reads the open file f, named path in errors, of at most limit
// bytes.
func ReadOpen(f *os.File, path string, limit int64) ([]byte, error) {
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: fi.Size(), Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Size: int64(len(data)), Limit: limit}
	}
	return data, nil
}

// OpenAppend opens path for appending, creating it with perm when missing,
// and returns it only if it is a regular file: appending to a FIFO nobody
// reads would block, and to a device would write who knows where.
func OpenAppend(path string, perm fs.FileMode) (*os.File, error) {
	// A FIFO without a reader fails a non-blocking open with ENXIO ("no
	// such device or address"); look first to say what it is instead.
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|openFlags, perm)
	if err != nil {
		return nil, err
	}
	if err := regular(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CheckRegular returns nil when path is a regular file of at most limit
// bytes (limit <= 0: any size), without reading it.
func CheckRegular(path string, limit int64) error {
	f, err := Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if limit > 0 && fi.Size() > limit {
		return &TooLargeError{Path: path, Size: fi.Size(), Limit: limit}
	}
	return nil
}

// regular checks what f, opened from path, is.
func regular(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// AnyoneMayWrite is the advice for an open file, what (like "the keys
// file") at path, that a user of the host other than this process's and
// root could change: one every user may write (mode o+w), one a group
// not root's nor its owner's alone may write (GroupMayWrite), one another
// user owns (ForeignOwner), or one in a directory that lets another user
// put a file in its place (Exposed). It
// names what such a user could do, like "add a key with any role"; empty
// when none could. A file that grants authority (the keys file, the
// policy) is refused so.
func AnyoneMayWrite(f *os.File, path, what, could string) string {
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	return anyoneMayWrite(fi, path, what, could)
}

// PathAnyoneMayWrite is AnyoneMayWrite for the file or directory at path,
// not opened: for what is read later by other means (a directory of
// playbooks, each playbook in it). A path that does not exist is judged
// by the directory it would be made in (Exposed): one every user may
// write lets any of them make it before it is read. Empty when path
// cannot be looked at otherwise: the read that follows says what is
// wrong.
func PathAnyoneMayWrite(path, what, could string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return notThere(err, path, what, could)
	}
	return anyoneMayWrite(fi, path, what, could)
}

// notThere is the advice for path, which os.Stat could not look at (err):
// when it does not exist, Exposed's about the directory it would be made
// in; empty otherwise.
func notThere(err error, path, what, could string) string {
	if !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if msg := Exposed(path, could); msg != "" {
		return what + " " + msg
	}
	return ""
}

// PathOthersMayWrite is PathAnyoneMayWrite for a directory whose group
// may be let write it by its owner's choice (a state dir shared by a
// team): neither its group's write nor that of the directories above it
// is refused, and the advice takes write from the others alone.
func PathOthersMayWrite(path, what, could string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return notThere(err, path, what, could)
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return worldWrite(fi, path, what, could, "make it writable by its owner and group alone: chmod o-w")
	}
	if msg := ExposedToOthers(path, could); msg != "" {
		return what + " " + msg
	}
	return ForeignOwner(fi, path, what, could)
}

// anyoneMayWrite is the problem of a file or directory every user may
// write, or its group when that is not root's or its owner's alone
// (GroupMayWrite), or that another user could put one of their own in
// place of (Exposed, ForeignOwner), with what to do.
func anyoneMayWrite(fi fs.FileInfo, path, what, could string) string {
	if fi.Mode().Perm()&0o002 != 0 {
		return worldWrite(fi, path, what, could, "make it writable by its owner alone: chmod go-w")
	}
	if msg := GroupMayWrite(fi, path, what, could); msg != "" {
		return msg
	}
	if msg := Exposed(path, could); msg != "" {
		return what + " " + msg
	}
	return ForeignOwner(fi, path, what, could)
}

// worldWrite is the problem of a file or directory every user may write,
// with advice, the chmod that fixes it, before path.
func worldWrite(fi fs.FileInfo, path, what, could, advice string) string {
	return fmt.Sprintf("%s's mode %s lets every user of this host write it and %s; %s %s", what, Octal(fi.Mode()), could, advice, path)
}

// TildeHint says, for err, the error of opening path, that a path
// starting with ~ names a directory called "~" here, not the home
// directory: the shell expands ~ only unquoted and at a word's start, so
// `--policy "~/p.yaml"` and `--policy=~/p.yaml` reach arsenal-run as
// written. "" when path does not start with ~ or the error is another.
func TildeHint(path string, err error) string {
	if len(path) == 0 || path[0] != '~' || !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	return "; the ~ was not expanded to a home directory (the shell does that only unquoted, and not after --flag=): write $HOME or the full path instead"
}

// Size formats the size of a file for people, to a tenth of the unit,
// with the exact count beside it: 3.2 MiB (3355443 bytes).
func Size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB (%d bytes)", float64(n)/(1<<10), n)
	}
	return fmt.Sprintf("%d bytes", n)
}
