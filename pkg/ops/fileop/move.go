package fileop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// testHookMoveBetween, when set, runs when moveBetween starts, after
// file.move has checked both paths: tests change the trees there.
var testHookMoveBetween func()

// moveBetween moves src to dest, in different roots or, where placeAt
// works on open directories (movesAt), in the same one (see place for
// replace and dir). The link or rename is made relative to the parent
// directories, opened through the roots, by base name, so no directory is
// looked up by path after the checks: one swapped for a symlink meanwhile
// can neither carry the file out of every root nor bring one in from
// outside. A symlink that stays inside its root is followed, though, so
// each opened directory is checked again where it really is, lest one
// swapped for a link to the state dir beside it let the move replace a
// key there, or carry one out. Errors are classified, naming the path at
// fault.
func moveBetween(ctx context.Context, src, dest *target, replace, dir bool) error {
	if testHookMoveBetween != nil {
		testHookMoveBetween()
	}
	roots := policy.Roots(ctx)
	if src.rel == "." {
		return ops.Errorf(ops.ClassExecution, "%s is a root directory; file.move does not move a root", src.path)
	}
	sdir, err := openDir(src.root, filepath.Dir(src.rel))
	if err != nil {
		return policy.Classify(ctx, err, src.path, roots)
	}
	defer sdir.Close()
	if err := guardOpened(sdir, src, fsroot.GuardTree); err != nil {
		return err
	}
	ddir, err := openDir(dest.root, filepath.Dir(dest.rel))
	if errors.Is(err, fs.ErrNotExist) {
		return ops.Errorf(ops.ClassExecution, "the directory of %s does not exist%s; create it or set create_dirs: true", dest.path, policy.LookedFor(ctx, dest.path))
	}
	if err != nil {
		return policy.Classify(ctx, err, dest.path, roots)
	}
	defer ddir.Close()
	if err := guardOpened(ddir, dest, fsroot.Guard); err != nil {
		return err
	}
	return placeAt(sdir, ddir, src, dest, replace, dir)
}

// guardOpened refuses, with guard, t's base name in the open directory
// dir, which holds it, taken where dir really is (see openedPath). Where
// that cannot be told, the move is refused while any path is protected
// on Linux, where /proc should tell; elsewhere the check is skipped (see
// openedPath).
func guardOpened(dir *os.File, t *target, guard func(string) error) error {
	if len(fsroot.ProtectedPaths()) == 0 {
		return nil
	}
	real, ok := openedPath(dir)
	switch {
	case ok:
	case runtime.GOOS == "linux":
		return ops.Errorf(ops.ClassExecution, "%s: cannot tell where its directory is (/proc/self/fd is unreadable), so file.move cannot check it against arsenal-run's protected paths; mount /proc", t.path)
	default:
		return nil
	}
	if err := guard(filepath.Join(real, filepath.Base(t.rel))); err != nil {
		return ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%s: %w", t.path, err))
	}
	return nil
}
