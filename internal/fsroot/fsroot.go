// Package fsroot confines file access to a set of directory trees, the
// file roots of an authorization scope. A path is first placed lexically
// under the deepest root that holds it, then opened through os.Root, so
// that neither ".." nor a symlink can lead outside.
//
// The file operations, playbook.run and the preflight check of
// sub-playbooks share it, so a path means the same to all of them.
package fsroot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Defaults returns the roots used when a scope sets none: the working
// directory and the temp directory.
func Defaults() []string {
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		roots = append(roots, wd)
	}
	if tmp := os.TempDir(); len(roots) == 0 || filepath.Clean(roots[0]) != filepath.Clean(tmp) {
		roots = append(roots, tmp) // once, when the working directory is it
	}
	return roots
}

// Place is a path located inside a root.
type Place struct {
	Root string // the root directory, as the scope gave it
	Rel  string // the path relative to Root, "." for the root itself
	Abs  string // the absolute path as resolved
}

// Locate finds the root that lexically contains the absolute path abs
// among roots, preferring the deepest one; a path in a protected
// directory (see Protect) is denied, as one outside the roots is. The caller then opens Place.Rel
// through os.OpenRoot(Place.Root), which stops symlinks and ".." from
// leaving the root. A path under no root is an error wrapping ops.ErrDenied
// that names the path and the roots.
func Locate(abs string, roots []string) (Place, error) { return locate(abs, roots, "") }

// locate is Locate, with readable as for guard.
func locate(abs string, roots []string, readable string) (Place, error) {
	abs = filepath.Clean(abs)
	best, ok := place(abs, roots)
	if !ok {
		return Place{}, Denied(abs, roots)
	}
	if err := guard(abs, readable); err != nil {
		return Place{}, err
	}
	return best, nil
}

// place finds the deepest of roots that holds the clean absolute path abs
// lexically.
func place(abs string, roots []string) (Place, bool) {
	best, bestLen := Place{}, -1
	for _, r := range roots {
		if r == "" {
			continue
		}
		for _, form := range rootForms(r) {
			rel, err := filepath.Rel(form, abs)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
			if len(form) > bestLen {
				best, bestLen = Place{Root: r, Rel: rel, Abs: abs}, len(form)
			}
		}
	}
	return best, bestLen >= 0
}

// rootForms returns a root as given and, when it differs, with symlinks
// resolved, so that /tmp/x matches a root /tmp that is a link to /private/tmp
// and the other way round.
func rootForms(r string) []string {
	r = filepath.Clean(r)
	forms := []string{r}
	if ev, err := filepath.EvalSymlinks(r); err == nil && ev != r {
		forms = append(forms, ev)
	}
	return forms
}

// Denied returns the error for a path outside every root.
func Denied(path string, roots []string) error {
	if len(roots) == 0 {
		return fmt.Errorf("%w: path %q: the caller's scope allows no file access", ops.ErrDenied, path)
	}
	return fmt.Errorf("%w: path %q is outside the allowed roots (%s); use a path inside one of them", ops.ErrDenied, path, strings.Join(roots, ", "))
}

// EscapeError is a path inside a root that a symlink or ".." leads out of
// every root: denied, but not for where it is written.
type EscapeError struct{ err error }

func (e *EscapeError) Error() string { return e.err.Error() }
func (e *EscapeError) Unwrap() error { return e.err }

// IsEscape reports whether err is os.Root refusing a path that leaves the
// root through ".." or a symlink.
func IsEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// ErrNotRegular is OpenOutput refusing what is not a regular file: a FIFO,
// a device, a directory.
var ErrNotRegular = errors.New("not a regular file; the output goes to regular files only")

// OpenOutput opens rel inside the directory root for writing, created if
// need be, with flag added (os.O_TRUNC or os.O_APPEND), through os.Root
// so that neither ".." nor a symlink leads outside root (IsEscape tells
// that error). Only a regular file is accepted: the open is non-blocking,
// so a FIFO put in the file's place is refused with ErrNotRegular at once
// instead of blocking until something reads it; the file returned is
// blocking again, as from a shell's >.
func OpenOutput(root, rel string, flag int) (*os.File, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.OpenFile(rel, os.O_WRONLY|os.O_CREATE|flag|syscall.O_NONBLOCK, 0o644)
	if errors.Is(err, syscall.ENXIO) { // a FIFO with no reader
		return nil, ErrNotRegular
	}
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, ErrNotRegular
	}
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = syscall.SetNonblock(int(fd), false) })
	}
	return f, nil
}

// ReadFile reads the regular file at the absolute path abs, of at most max
// bytes, if it lies inside one of roots, through os.Root so that symlinks
// cannot lead outside them. Its errors never quote the file's content: a
// path outside the roots wraps ops.ErrDenied and names the path and the
// roots, a FIFO or device is refused before it is opened for reading.
func ReadFile(abs string, roots []string, max int64) ([]byte, error) {
	return readFile(abs, roots, max, "", nil)
}

// ReadFileOf is ReadFile, except that when abs is itself a protected file
// of kind what (Inventory), it is read: the file, within roots as any
// other, and nothing else protected.
func ReadFileOf(abs string, roots []string, max int64, what string) ([]byte, error) {
	return readFile(abs, roots, max, what, nil)
}

// ReadFileJudged is ReadFileOf, with judge called on the file once it is
// open and found regular, before it is read: its error, when not nil, is
// returned and nothing is read. What is judged is what would be read
// (fsx.AnyoneMayWrite on the opened file), not what the path names later.
func ReadFileJudged(abs string, roots []string, max int64, what string, judge func(*os.File) error) ([]byte, error) {
	return readFile(abs, roots, max, what, judge)
}

// ReadPlaybook is ReadFile for a playbook arsenal-run loads itself (a
// sub-playbook of playbook.run): the playbooks a daemon serves
// (ProtectPlaybooks), which no file operation touches, are read, as Open
// reads them; every other protected path is refused.
func ReadPlaybook(abs string, roots []string, max int64) ([]byte, error) {
	return readFile(abs, roots, max, loading, nil)
}

// testHookLocated, when set, runs once readFile has checked the path:
// tests swap what it names there.
var testHookLocated func()

func readFile(abs string, roots []string, max int64, readable string, judge func(*os.File) error) ([]byte, error) {
	place, err := locate(abs, roots, readable)
	if err != nil {
		return nil, err
	}
	if testHookLocated != nil {
		testHookLocated()
	}
	root, err := os.OpenRoot(place.Root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	// O_NONBLOCK: a FIFO put in the file's place opens at once, and is
	// then refused as not regular instead of blocking the read.
	f, err := root.OpenFile(place.Rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if IsEscape(err) {
		return nil, &EscapeError{Denied(abs, roots)}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", abs)
	case fi.Size() > max:
		return nil, fmt.Errorf("%s is %s, over the limit of %s", abs, fsx.Size(fi.Size()), fsx.Bytes(max))
	}
	if err := guardIdentity(abs, fi, readable); err != nil {
		return nil, err
	}
	// Where the open led: a symlink put in the file's place after the
	// check, inside the root, may lead to a key in the state dir.
	if err := guardOpened(f, readable); err != nil {
		return nil, err
	}
	if judge != nil {
		if err := judge(f); err != nil {
			return nil, err
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is over the limit of %s", abs, fsx.Bytes(max))
	}
	return b, nil
}
