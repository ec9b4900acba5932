package fileop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// checkDeletePaths is file.delete's ValidateParams: path or paths, exactly
// one, with no empty or NUL-holding path.
func checkDeletePaths(p ops.Params) error {
	_, one := p["path"]
	_, many := p["paths"]
	switch {
	case one && many:
		return &ops.ParamError{Param: "paths", Msg: "give path or paths, not both"}
	case !one && !many:
		return &ops.ParamError{Param: "path", Msg: "give path (one file) or paths (a list, such as the paths file.find returns)"}
	case one:
		return checkPath(p)
	}
	var errs ops.ParamErrors
	for i, v := range p.List("paths") {
		s, ok := v.(string)
		switch {
		case !ok:
		case s == "":
			errs = append(errs, &ops.ParamError{Param: "paths", Msg: fmt.Sprintf("item %d is empty", i)})
		case strings.IndexByte(s, 0) >= 0:
			errs = append(errs, &ops.ParamError{Param: "paths", Msg: fmt.Sprintf("item %d contains a NUL byte", i)})
		}
		if len(errs) >= 10 {
			break
		}
	}
	return errsOrNil(errs)
}

// roots opens each root once for a run over many paths.
type roots struct {
	ctx  context.Context
	list []string
	open map[string]*os.Root
}

func newRoots(ctx context.Context) *roots {
	return &roots{ctx: ctx, list: policy.Roots(ctx), open: map[string]*os.Root{}}
}

// locate finds path inside the roots; the *os.Root is shared and closed by
// Close.
func (r *roots) locate(path string) (*target, error) {
	place, err := policy.Locate(r.ctx, path, r.list)
	if err != nil {
		return nil, policy.Classify(r.ctx, err, path, r.list)
	}
	root := r.open[place.Root]
	if root == nil {
		if root, err = os.OpenRoot(place.Root); err != nil {
			return nil, ops.Errorf(ops.ClassExecution, "opening the root %s: %w", place.Root, err)
		}
		r.open[place.Root] = root
	}
	if testHookLocated != nil {
		testHookLocated(place.Abs)
	}
	return &target{root: root, rel: place.Rel, abs: place.Abs, path: path}, nil
}

func (r *roots) Close() {
	for _, root := range r.open {
		root.Close()
	}
}

// deletePaths deletes every file in paths. All of them are checked first
// (inside the roots, not a directory, present unless missingOK), so a list
// with one bad entry deletes nothing. A failure while deleting stops there;
// the output then lists what was deleted.
func deletePaths(ctx context.Context, paths []string, missingOK bool) (map[string]any, error) {
	rs := newRoots(ctx)
	defer rs.Close()
	var checked []*target
	var given []string
	seen := map[string]bool{}
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		t, err := rs.locate(path)
		if err != nil {
			return nil, err
		}
		if seen[t.abs] {
			continue
		}
		seen[t.abs] = true
		fi, err := t.root.Lstat(t.rel)
		switch {
		case errors.Is(err, fs.ErrNotExist) && missingOK:
			continue
		case errors.Is(err, fs.ErrNotExist):
			return nil, ops.Errorf(ops.ClassExecution, "%s does not exist%s, so nothing was deleted; set missing_ok: true to skip missing files", path, policy.LookedFor(ctx, path))
		case err != nil:
			return nil, policy.Classify(ctx, err, path, rs.list)
		case fi.IsDir():
			return nil, ops.Errorf(ops.ClassExecution, "%s is a directory, so nothing was deleted; file.delete removes files only (filter file.find with type: file)", path)
		}
		checked = append(checked, t)
		given = append(given, path)
	}
	deleted := []any{}
	out := func() map[string]any { return map[string]any{"deleted": len(deleted), "paths": deleted} }
	for i, t := range checked {
		if err := ctx.Err(); err != nil {
			return out(), context.Cause(ctx)
		}
		err := removeIn(t)
		if errors.Is(err, fs.ErrNotExist) && missingOK {
			continue
		}
		if err != nil {
			return out(), policy.Classify(ctx, err, given[i], rs.list)
		}
		deleted = append(deleted, t.abs)
	}
	return out(), nil
}
