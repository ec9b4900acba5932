package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// sourceError is a failure to read an entry of archive.create's src: an
// unreadable file or directory, or a file that shrank while it was packed.
// It names the entry, not dest, which is where the archive was to go.
type sourceError struct {
	name string // slash-separated, relative to src; "" for src itself
	err  error
}

func (e *sourceError) Error() string { return e.name + ": " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// explain is the step's error: the entry, why it could not be read, and
// what to do; no archive was written.
func (e *sourceError) explain(srcPath, destPath string) error {
	entry := srcPath
	if e.name != "" {
		entry = filepath.Join(srcPath, filepath.FromSlash(e.name))
	}
	reason := e.err
	var pe *fs.PathError
	if errors.As(reason, &pe) {
		reason = pe.Err
	}
	remedy := "pack it again"
	if errors.Is(e.err, fs.ErrPermission) {
		remedy = fmt.Sprintf("make it readable by user %d, whom arsenal-run runs as, or move it out of %s", os.Geteuid(), srcPath)
	}
	return errorf("src: cannot read %s (%v); %s; %s was not written", entry, reason, remedy, destPath)
}

// sourceReader marks the read errors of a file of src as its own, so that
// they are not taken for errors writing the archive.
type sourceReader struct {
	name string
	r    io.Reader
}

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &sourceError{name: s.name, err: err}
	}
	return n, err
}
