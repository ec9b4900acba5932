package fsx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Unreadable is the problem of a file, what (like "the policy"), at path
// that did not open or read with err: the reason in words and what to do
// about it. It does not repeat the path, which the diagnostic names
// already, and gives no line: a file that does not open has none.
func Unreadable(what, path string, err error) string {
	var nr *NotRegularError
	if errors.As(err, &nr) {
		msg := fmt.Sprintf("cannot read %s: it is %s, not a regular file; ", what, Kind(nr.Mode))
		switch {
		case nr.Mode.IsDir():
			return msg + fmt.Sprintf("give the path of %s itself, a file in that directory or elsewhere", what)
		case nr.Mode&fs.ModeNamedPipe != 0:
			// A pipe may never be written to: reading it would wait
			// for ever, and a second read (a reload) finds it empty.
			return msg + "arsenal-run reads only regular files, as a pipe may never be written to: save the content to a file and give that file's path"
		}
		return msg + fmt.Sprintf("give the path of %s itself, a regular file", what)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is named already
	}
	msg := fmt.Sprintf("cannot read %s: %v", what, err)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return msg + fmt.Sprintf("; the user running arsenal-run (uid %d) may not read it: make it, and the directories above it, readable by that user (chmod, chown), or run as one that may", os.Geteuid())
	case errors.Is(err, fs.ErrNotExist):
		if hint := TildeHint(path, err); hint != "" {
			return msg + hint
		}
		return msg + "; check the path" + fromWD(path)
	}
	return msg
}

// fromWD says which directory a relative path is taken from; "" for an
// absolute one.
func fromWD(path string) string {
	if filepath.IsAbs(path) {
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return ", which is taken from the working directory " + wd
}
