package fsroot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// protected are the directories no file operation touches, whatever its
// roots: the state dirs of this process, which hold the keys that sign
// console sessions and reports. A role whose roots hold the state dir (the
// working directory when it sets no file_roots, say) could otherwise read
// the session key and sign itself an admin session.
var protected struct {
	sync.RWMutex
	dirs []string
}

// Protect adds dir, as given and with symlinks resolved, to the
// directories no file operation touches.
func Protect(dir string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	protected.Lock()
	defer protected.Unlock()
	for _, form := range rootForms(abs) {
		dup := false
		for _, d := range protected.dirs {
			dup = dup || d == form
		}
		if !dup {
			protected.dirs = append(protected.dirs, form)
		}
	}
}

// Guard returns an error wrapping ops.ErrDenied when the absolute path abs
// lies in a protected directory, as written or once the symlinks of its
// existing part are resolved; else nil.
func Guard(abs string) error {
	protected.RLock()
	dirs := protected.dirs
	protected.RUnlock()
	if len(dirs) == 0 {
		return nil
	}
	abs = filepath.Clean(abs)
	for _, form := range []string{abs, resolved(abs)} {
		for _, d := range dirs {
			if within(form, d) {
				return fmt.Errorf("%w: path %q is inside arsenal-run's state dir %s, which holds its keys and history; file operations never touch it", ops.ErrDenied, abs, d)
			}
		}
	}
	return nil
}

// resolved returns abs with the symlinks of its longest existing prefix
// resolved, the rest as written.
func resolved(abs string) string {
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		if ev, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(ev, rest)
		}
		if _, err := os.Lstat(p); err == nil || filepath.Dir(p) == p {
			return abs // a dangling link or the root: nothing more to learn
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

// within reports whether path is dir or lies under it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
