package fsroot

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Named is how a denial names a path: as written and, when that differs,
// the absolute path it was resolved to; for a relative path, also what it
// was taken from (from: "the playbook's directory", "the working
// directory"). A user standing in a root who reads that "out.txt" is
// outside it learns which out.txt was meant.
func Named(written, abs, from string) string {
	q := fmt.Sprintf("%q", written)
	switch {
	case abs == "" || written == abs:
		return q
	case filepath.IsAbs(written):
		return fmt.Sprintf("%s (%s)", q, abs)
	}
	return fmt.Sprintf("%s (%s: a relative path is taken from %s)", q, abs, from)
}

// OutsideRoots returns the error of a file operation for a path, named as
// Named names it, outside every one of the caller's roots. It names the
// roots and the fix: file_roots of the caller's role in the policy. The
// operations at run time and the preflight before it give the same one.
func OutsideRoots(named string, roots []string) error {
	if len(roots) == 0 {
		return fmt.Errorf("%w: path %s: the caller's scope allows no file access (its roles set file_roots: []); %s", ops.ErrDenied, named, widen)
	}
	return fmt.Errorf("%w: path %s is outside the allowed file roots (%s); use a path inside them, or %s", ops.ErrDenied, named, strings.Join(roots, ", "), widen)
}

// EscapesRoots returns the error for a path, named as Named names it,
// that a symlink or ".." leads out of every one of the caller's roots.
func EscapesRoots(named string, roots []string) error {
	return fmt.Errorf("%w: path %s leads through a symlink or .. outside the allowed file roots (%s); the target must lie inside them too, or %s", ops.ErrDenied, named, strings.Join(roots, ", "), widen)
}

// widen says how file roots are widened.
const widen = "have an admin add its directory to file_roots of the caller's role in the policy file (--policy); " +
	"a role without file_roots gets the working directory and the temp directory (docs/authorization.md, \"Widening file_roots\")"

// Holds reports whether one of roots holds the absolute path abs
// lexically, as Locate places it: what a check made before the run can
// tell, leaving symlinks and protected paths to the operation.
func Holds(roots []string, abs string) bool {
	_, ok := place(filepath.Clean(abs), roots)
	return ok
}
