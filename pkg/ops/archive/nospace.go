package archive

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// writeTo is what an archive op writes a file's bytes through: the file
// itself. Tests replace it to fail a write as a full disk does.
var writeTo = func(f *os.File) io.Writer { return f }

// entryErr is the failure to write one entry of an extraction, which a
// full disk's message names apart from its cause.
type entryErr struct {
	name string
	err  error
}

func (e *entryErr) Error() string { return fmt.Sprintf("entry %q: %v", e.name, e.err) }
func (e *entryErr) Unwrap() error { return e.err }

// createNoSpace is the error of an archive.create whose archive did not
// fit (nil when err is another failure): the temporary file is removed by
// then, and dest is as it was.
func createNoSpace(err error, destPath string, dest *target) error {
	why := policy.NoSpace(err)
	if why == "" {
		return nil
	}
	left := "no archive was created"
	if _, serr := dest.root.Lstat(dest.rel); serr == nil {
		left = destPath + " is unchanged"
	}
	return errorf("%s: %s; %s (the partial archive was removed); %s", destPath, why, left, policy.FreeSpace(filepath.Dir(dest.abs)))
}

// extractNoSpace is the error of an archive.extract that ran out of room
// (nil when err is another failure); what says what is left of dest.
func extractNoSpace(err error, srcPath, destAbs, what string) error {
	why := policy.NoSpace(err)
	if why == "" {
		return nil
	}
	at := ""
	var ee *entryErr
	if errors.As(err, &ee) {
		at = fmt.Sprintf(" (at entry %q)", ee.name)
	}
	return errorf("archive %s could not be extracted: %s%s; %s; %s", srcPath, why, at, what, policy.FreeSpace(existingDir(destAbs)))
}

// existingDir is the nearest directory at or above abs that exists: where
// df can look after a failed extraction removed what it made.
func existingDir(abs string) string {
	for d := abs; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() || d == filepath.Dir(d) {
			return d
		}
	}
}

// left says what a failed extraction left of dest, at destPath: removed
// (undone), or the entries written before the one that failed.
func (x *extractor) left(destPath string, undone bool) string {
	if undone {
		return destPath + ", which it had made, was removed"
	}
	return fmt.Sprintf("%d of its entries had been written to %s, the one cut short removed", x.entries-1, destPath)
}
