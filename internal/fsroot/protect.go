package fsroot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// protected are the paths no file operation touches, whatever its roots:
// the state dirs of this process, which hold the keys that sign console
// sessions and reports, and its keys and policy files. A role whose roots
// hold the state dir (the working directory when it sets no file_roots,
// say) could otherwise read the session key and sign itself an admin
// session, or rewrite the policy.
var protected struct {
	sync.RWMutex
	paths []protectedPath
}

type protectedPath struct {
	path string // absolute
	what string // what it is, for messages: "state dir", "keys file"
}

// Protect adds path (a directory and all it holds, or a file), as given
// and with symlinks resolved, to what no file operation touches; what
// names it in messages ("state dir", "policy file").
func Protect(path, what string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	protected.Lock()
	defer protected.Unlock()
	for _, form := range rootForms(abs) {
		dup := false
		for _, p := range protected.paths {
			dup = dup || p.path == form
		}
		if !dup {
			protected.paths = append(protected.paths, protectedPath{form, what})
		}
	}
}

// Guard returns an error wrapping ops.ErrDenied when the absolute path abs
// is or lies in a protected path, as written or once the symlinks of its
// existing part are resolved; else nil.
func Guard(abs string) error {
	protected.RLock()
	paths := protected.paths
	protected.RUnlock()
	if len(paths) == 0 {
		return nil
	}
	abs = filepath.Clean(abs)
	for _, form := range []string{abs, resolved(abs)} {
		for _, p := range paths {
			if form == p.path {
				return fmt.Errorf("%w: path %q is arsenal-run's %s, which no file operation touches", ops.ErrDenied, abs, p.what)
			}
			if within(form, p.path) {
				return fmt.Errorf("%w: path %q is in arsenal-run's %s %s, which no file operation touches", ops.ErrDenied, abs, p.what, p.path)
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
