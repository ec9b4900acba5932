package fileop

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// testHookMoveBetween, when set, runs when moveBetween starts, after
// file.move has checked both paths: tests change the trees there.
var testHookMoveBetween func()

// moveBetween moves src to dest when they lie in different roots (see
// place for replace and dir). The link or rename is made relative to the
// parent directories, opened through the roots, by base name, so no
// directory is looked up by path after the checks: one swapped for a
// symlink meanwhile can neither carry the file out of every root nor bring
// one in from outside. Errors are classified, naming the path at fault.
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
	ddir, err := openDir(dest.root, filepath.Dir(dest.rel))
	if errors.Is(err, fs.ErrNotExist) {
		return ops.Errorf(ops.ClassExecution, "the directory of %s does not exist%s; create it or set create_dirs: true", dest.path, policy.LookedFor(ctx, dest.path))
	}
	if err != nil {
		return policy.Classify(ctx, err, dest.path, roots)
	}
	defer ddir.Close()
	return placeAt(sdir, ddir, src, dest, replace, dir)
}
