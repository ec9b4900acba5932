package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// What an entry meets in a destination that exists: what it would
// replace, and what would stop it.

// checkExisting refuses an entry that would replace something in dest
// without overwrite, or a directory with a file.
func (x *extractor) checkExisting(e *entry, name string) error {
	if x.root == nil {
		return nil // dest does not exist yet
	}
	fi, err := x.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case policy.IsEscape(err):
		return fmt.Errorf("entry %q would be written through a symlink that leads outside the destination", e.name)
	case err != nil:
		// A parent is a file, say: the write pass could not make the
		// directory, after it had written the entries before.
		if d := x.fileAbove(name); d != "" {
			return fmt.Errorf("entry %q would go under %s, which is a file in the destination; remove it, or extract into another dest", e.name, filepath.ToSlash(d))
		}
		return nil // the write reports it
	case fi.IsDir() && e.kind == 'd':
		x.existed[name] = true
		return nil
	case fi.IsDir():
		return fmt.Errorf("entry %q would replace a directory of the destination, which overwrite never does; remove it, or extract into another dest", e.name)
	case !x.overwrite:
		return fmt.Errorf("%s already exists in the destination; set overwrite: true to replace it", e.name)
	}
	return nil
}

// fileAbove returns the directory of name, the one nearest dest, that
// dest holds as something else than a directory (followed, as os.Root
// follows it), or "".
func (x *extractor) fileAbove(name string) string {
	var found string
	for d := filepath.Dir(name); d != "."; d = filepath.Dir(d) {
		if fi, err := x.root.Stat(d); err == nil && !fi.IsDir() {
			found = d
		}
	}
	return found
}

// clear removes what stands at name in dir when overwrite allows it; the
// file is then created anew, so a symlink in its place is replaced, never
// followed.
func (x *extractor) clear(dir *os.Root, e *entry, name string) error {
	fi, err := dir.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("entry %q: %v", e.name, err)
	case fi.IsDir():
		return fmt.Errorf("entry %q would replace a directory of the destination, which overwrite never does; remove it, or extract into another dest", e.name)
	case !x.overwrite:
		return fmt.Errorf("%s already exists in the destination; set overwrite: true to replace it", e.name)
	}
	return dir.Remove(name)
}
