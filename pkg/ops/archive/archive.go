// Package archive holds archive.create and archive.extract, for tar.gz and
// zip files. Both act only inside the caller's file roots, through os.Root.
// Extraction treats every archive as hostile: an entry that would land
// outside the destination (a name with "..", an absolute name, a symlink
// pointing out, a hard link) or a device is refused, and so is an archive
// over the caps on entries, total bytes and compression ratio. Every entry
// is checked before the first byte is written, so a refused archive leaves
// nothing behind.
package archive

import (
	"context"
	"os"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Register adds archive.create and archive.extract to r.
func Register(r *ops.Registry) error {
	if err := r.Register(createSpec(), &Create{}); err != nil {
		return err
	}
	return r.Register(extractSpec(), &Extract{})
}

// Formats.
const (
	formatTarGz = "tar.gz"
	formatZip   = "zip"
)

var formats = []any{formatTarGz, formatZip}

// formatOf guesses the format from a file name.
func formatOf(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".tar.gz"), strings.HasSuffix(n, ".tgz"):
		return formatTarGz
	case strings.HasSuffix(n, ".zip"):
		return formatZip
	}
	return ""
}

// target is a path located in a root, with the root open.
type target struct {
	root *os.Root
	rel  string
	abs  string
}

func (t *target) Close() { t.root.Close() }

// open locates path inside the call's roots and opens that root.
func open(ctx context.Context, path string) (*target, error) {
	roots := policy.Roots(ctx)
	place, err := policy.Locate(ctx, path, roots)
	if err != nil {
		return nil, policy.Classify(ctx, err, path, roots)
	}
	root, err := os.OpenRoot(place.Root)
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "opening the root %s: %w", place.Root, err)
	}
	return &target{root: root, rel: place.Rel, abs: place.Abs}, nil
}

// checkPaths checks the src and dest parameters.
func checkPaths(p ops.Params) ops.ParamErrors {
	var errs ops.ParamErrors
	for _, name := range []string{"src", "dest"} {
		switch {
		case !p.Known(name):
		case p.String(name) == "":
			errs = append(errs, &ops.ParamError{Param: name, Msg: "is empty"})
		case strings.IndexByte(p.String(name), 0) >= 0:
			errs = append(errs, &ops.ParamError{Param: name, Msg: "contains a NUL byte"})
		}
	}
	return errs
}

// readerCtx stops reading when ctx is done.
type readerCtx struct {
	ctx context.Context
	r   interface{ Read([]byte) (int, error) }
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, context.Cause(r.ctx)
	}
	return r.r.Read(p)
}

func errorf(format string, args ...any) error {
	return ops.Errorf(ops.ClassExecution, format, args...)
}
