package fileop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Read is the file.read operation. Memory, when set, is the pool its
// reads hold their bytes in (ops.OutputMemory); fileop.Register sets the
// registry's.
type Read struct {
	Memory *ops.OutputMemory
}

var (
	_ ops.Op             = (*Read)(nil)
	_ ops.ParamValidator = (*Read)(nil)
)

func readSpec() ops.Spec {
	return ops.Spec{
		Name: "file.read",
		Description: "Read a regular file (never a device, pipe or directory). Files larger than max_bytes keep their first and last halves and set truncated. " +
			"Text is returned as UTF-8, invalid bytes replaced by U+FFFD; use encoding: base64 for the exact bytes.",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			pathParam,
			{Name: "max_bytes", Type: ops.TypeInteger, Default: capture.DefaultLimit, Min: ops.Bound(2), Max: ops.Bound(64 << 20),
				Description: "the most bytes of content returned (default 1 MiB)"},
			{Name: "encoding", Type: ops.TypeString, Default: "text", Enum: []any{"text", "base64"},
				Description: "text (UTF-8) or base64 (exact bytes)"},
		},
		Output: []ops.Field{
			{Name: "content", Type: "string", Description: "the content, or its head and tail when truncated"},
			{Name: "size", Type: "integer", Description: "the file's full size in bytes"},
			{Name: "truncated", Type: "bool", Description: "true when the middle of the file was left out"},
			{Name: "path", Type: "string", Description: "the absolute path"},
		},
	}
}

// ValidateParams checks the path.
func (*Read) ValidateParams(p ops.Params, _ bool) error { return checkPath(p) }

// Execute reads the file.
func (r *Read) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	path := p.String("path")
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	fail := func(err error) error { return policy.Classify(ctx, err, path, policy.Roots(ctx)) }
	// Stat first, so that opening never touches a device or blocks on a
	// FIFO; then check that what was opened is the same regular file.
	fi, err := t.root.Stat(t.rel)
	if err != nil {
		return nil, fail(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, ops.Errorf(ops.ClassExecution, "%s is not a regular file but a %s; file.read reads regular files only", path, fileType(fi.Mode()))
	}
	f, err := t.root.OpenFile(t.rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fail(err)
	}
	defer f.Close()
	ofi, err := f.Stat()
	if err != nil {
		return nil, fail(err)
	}
	if !ofi.Mode().IsRegular() || !os.SameFile(fi, ofi) {
		return nil, ops.Errorf(ops.ClassExecution, "%s changed while being opened; try again", path)
	}
	if err := guardFile(t.abs, f, ofi); err != nil {
		return nil, fail(err)
	}
	limit := p.Int("max_bytes")
	base64 := p.String("encoding") == "base64"
	// The bytes read are held while their text is built: both count in
	// the process's output memory until the step has its output.
	raw := int64(min(ofi.Size(), int64(limit)))
	if ofi.Size() == 0 {
		raw = int64(limit) // a /proc file says 0: what it holds is known once read
	}
	what := fmt.Sprintf("file.read of %s (max_bytes %d, encoding %s)", path, limit, p.String("encoding"))
	hold, err := r.Memory.Hold(ctx, raw+outputLen(raw, base64), what)
	if err != nil {
		return nil, err
	}
	defer hold.Release()
	parts, size, truncated, err := readCapped(ctx, f, ofi.Size(), limit)
	if err != nil {
		return nil, err
	}
	var s string
	if base64 {
		s = capture.Base64(parts)
	} else {
		s = capture.ValidText(parts)
	}
	return map[string]any{"content": s, "size": int(size), "truncated": truncated, "path": t.abs}, nil
}

// outputLen is the most text raw bytes become: base64's four for three,
// or U+FFFD's three for a lone invalid byte beside a valid one (two for
// two), and a note of a cut.
func outputLen(raw int64, base64 bool) int64 {
	if base64 {
		return (raw + noteLen + 2) / 3 * 4
	}
	return 2*raw + noteLen
}

// noteLen is room for the note of a cut.
const noteLen = 64

// readCapped reads f, of size bytes when it was opened, within limit
// bytes, and returns what it read as capture.Cut's parts, the size it
// read it at and whether the middle was left out. A file known to be
// larger is read as its head and its tail only, into one buffer, without
// reading the middle; files whose size is not known in advance (like
// those under /proc), and one cut shorter since it was opened (a log a
// copytruncate rotated), are streamed through a capture.Buffer, lest the
// bytes it no longer holds come back as zeros.
func readCapped(ctx context.Context, f *os.File, size int64, limit int) ([][]byte, int64, bool, error) {
	secrets := ops.CallFrom(ctx).Secrets
	if size > int64(limit) {
		half := limit / 2
		buf := make([]byte, limit)
		head, tail := buf[:half], buf[half:]
		hn, err := f.ReadAt(head, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, false, ops.Errorf(ops.ClassExecution, "reading: %w", err)
		}
		tn, err := f.ReadAt(tail, size-int64(len(tail)))
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, false, ops.Errorf(ops.ClassExecution, "reading: %w", err)
		}
		if hn == len(head) && tn == len(tail) {
			return capture.Cut(head, tail, size-int64(limit), secrets), size, true, nil
		}
	}
	buf := capture.NewBufferSize(limit, int(size)+1) // +1: EOF is read into room
	buf.Guard(secrets)
	n, err := io.Copy(buf, readerCtx{ctx, io.NewSectionReader(f, 0, 1<<62)})
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, false, context.Cause(ctx)
		}
		return nil, 0, false, ops.Errorf(ops.ClassExecution, "reading: %w", err)
	}
	return buf.Parts(), n, buf.Truncated(), nil
}

// readerCtx stops reading when ctx is done.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
