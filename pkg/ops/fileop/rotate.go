package fileop

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Rotate is the file.rotate operation.
type Rotate struct{}

var (
	_ ops.Op             = (*Rotate)(nil)
	_ ops.ParamValidator = (*Rotate)(nil)
)

// Bounds of file.rotate.
const (
	MaxRotateKeep = 1000
	// maxRotateTail is the most a log may grow between the end of its copy
	// and its truncation in copytruncate mode; the bytes are held in memory.
	maxRotateTail = 64 << 20
)

func rotateSpec() ops.Spec {
	return ops.Spec{
		Name: "file.rotate",
		Description: "Rotate a log file as logrotate does: app.log becomes app.log.1, app.log.1 becomes app.log.2 and so on, keeping keep generations and deleting older ones. " +
			"With compress, generations from .2 on are gzipped (app.log.2.gz); .1 stays plain, like logrotate's delaycompress, because a program may still be writing to it. " +
			"By default the file is renamed and a new empty one created; with copytruncate it is copied to .1 and then cut back, for programs that keep it open " +
			"(lines written while it is copied are kept; see the operations guide for the small remaining race).",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			pathParam,
			{Name: "keep", Type: ops.TypeInteger, Default: 5, Min: ops.Bound(1), Max: ops.Bound(MaxRotateKeep), Description: "how many rotated generations to keep (app.log.1 … app.log.N)"},
			{Name: "compress", Type: ops.TypeBool, Default: false, Description: "gzip generations 2 and up (app.log.2.gz …); .1 is never compressed"},
			{Name: "copytruncate", Type: ops.TypeBool, Default: false, Description: "copy the file to .1 and truncate it in place, for programs that keep it open and cannot reopen it"},
			{Name: "create", Type: ops.TypeBool, Default: true, Description: "after renaming, create a new empty file with the old one's mode and owner (ignored with copytruncate)"},
			{Name: "min_size", Type: ops.TypeInteger, Default: 0, Min: ops.Bound(0), Description: "rotate only when the file has at least this many bytes; 1 skips empty files"},
			{Name: "missing_ok", Type: ops.TypeBool, Default: false, Description: "succeed with rotated: false when the file does not exist"},
		},
		Output: []ops.Field{
			{Name: "rotated", Type: "bool", Description: "false when the file was missing (missing_ok) or smaller than min_size"},
			{Name: "path", Type: "string", Description: "the absolute path of the log"},
			{Name: "bytes", Type: "integer", Description: "bytes moved to .1"},
			{Name: "files", Type: "list", Description: "the generations now on disk, newest first (app.log.1, app.log.2.gz, …)"},
			{Name: "removed", Type: "list", Description: "generations deleted because they were beyond keep"},
		},
	}
}

// ValidateParams checks the path.
func (*Rotate) ValidateParams(p ops.Params, _ bool) error { return checkPath(p) }

// generation is one rotated file: base.N or base.N.gz.
type generation struct {
	n  int
	gz bool
}

func (g generation) name(base string) string {
	s := base + "." + strconv.Itoa(g.n)
	if g.gz {
		s += ".gz"
	}
	return s
}

// generations lists the rotated files of base in dir, newest first.
func generations(root *os.Root, dir, base string) ([]generation, error) {
	d, err := root.Open(dir)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `\.([1-9][0-9]{0,5})(\.gz)?$`)
	var gens []generation
	for _, name := range names {
		m := re.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		gens = append(gens, generation{n, m[2] != ""})
	}
	sort.Slice(gens, func(i, j int) bool {
		if gens[i].n != gens[j].n {
			return gens[i].n < gens[j].n
		}
		return !gens[i].gz
	})
	return gens, nil
}

// Execute rotates the file.
func (*Rotate) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	path := p.String("path")
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	fail := func(err error) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return policy.Classify(ctx, err, path, policy.Roots(ctx))
	}
	out := map[string]any{"rotated": false, "path": t.abs, "bytes": 0, "files": []any{}, "removed": []any{}}
	// Every rename, removal and write below is made by a name in the
	// log's directory as judged, so one swapped meanwhile for a symlink to
	// the state dir beside it leads none of them there.
	t, err = pinParent(t)
	if errors.Is(err, fs.ErrNotExist) && p.Bool("missing_ok") {
		return out, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fail(err)
	}
	if err == nil {
		defer t.Close()
	}
	fi, err := t.root.Lstat(t.rel)
	switch {
	case errors.Is(err, fs.ErrNotExist) && p.Bool("missing_ok"):
		return out, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, ops.Errorf(ops.ClassExecution, "%s does not exist%s; set missing_ok: true if that is fine", path, policy.LookedFor(ctx, path))
	case err != nil:
		return nil, fail(err)
	case !fi.Mode().IsRegular():
		return nil, ops.Errorf(ops.ClassExecution, "%s is a %s, not a regular file; give the log file itself", path, fileType(fi.Mode()))
	}
	if err := fsroot.GuardIdentity(t.abs, fi); err != nil {
		return nil, fail(err)
	}
	if fi.Size() < int64(p.Int("min_size")) {
		return out, nil
	}
	dir, base := filepath.Dir(t.rel), filepath.Base(t.rel)
	in := func(name string) string { return filepath.Join(dir, name) }
	gens, err := generations(t.root, dir, base)
	if err != nil {
		return nil, fail(err)
	}
	keep, compress := p.Int("keep"), p.Bool("compress")

	// Drop what would fall beyond keep, then shift the rest up by one,
	// oldest first, so that every target is free.
	var removed []any
	var shift []generation
	for _, g := range gens {
		if g.n >= keep {
			if err := t.root.Remove(in(g.name(base))); err != nil {
				return nil, fail(err)
			}
			removed = append(removed, filepath.Join(filepath.Dir(t.abs), g.name(base)))
			continue
		}
		shift = append(shift, g)
	}
	out["removed"] = nonNil(removed)
	targets := map[string]string{}
	for _, g := range shift {
		to := generation{g.n + 1, g.gz || compress}.name(base)
		if other, dup := targets[to]; dup {
			return nil, ops.Errorf(ops.ClassExecution, "both %s and %s exist (left by an interrupted rotation?) and would both become %s; remove one of them and rotate again", other, g.name(base), to)
		}
		targets[to] = g.name(base)
	}
	for i := len(shift) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		g := shift[i]
		next := generation{g.n + 1, g.gz || compress}
		if _, err := t.root.Lstat(in(next.name(base))); err == nil {
			return nil, ops.Errorf(ops.ClassExecution, "both %s and %s exist (left by an interrupted rotation?); remove one of them and rotate again", g.name(base), next.name(base))
		}
		if next.gz && !g.gz {
			err = gzipFile(ctx, t.root, in(g.name(base)), in(next.name(base)), filepath.Join(filepath.Dir(t.abs), g.name(base)))
		} else {
			err = t.root.Rename(in(g.name(base)), in(next.name(base)))
		}
		if err != nil {
			return nil, fail(err)
		}
	}

	first := in(generation{1, false}.name(base))
	var n int64
	if p.Bool("copytruncate") {
		n, err = copyTruncate(ctx, t.root, t.rel, first, fi, t.abs)
	} else {
		n, err = fi.Size(), renameAndCreate(t.root, t.rel, first, fi, p.Bool("create"))
	}
	if err != nil {
		return nil, fail(err)
	}
	syncDir(t.root, dir)
	gens, err = generations(t.root, dir, base)
	if err != nil {
		return nil, fail(err)
	}
	files := make([]any, len(gens))
	for i, g := range gens {
		files[i] = filepath.Join(filepath.Dir(t.abs), g.name(base))
	}
	out["rotated"], out["bytes"], out["files"] = true, n, files
	return out, nil
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// renameAndCreate renames the log to first and, with create, puts a new
// empty file with the old mode and owner in its place. A program that
// reopened its log in between already made one; that one is kept.
func renameAndCreate(root *os.Root, rel, first string, fi fs.FileInfo, create bool) error {
	if err := root.Rename(rel, first); err != nil {
		return err
	}
	if !create {
		return nil
	}
	f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	keepOwner(f, fi)
	return f.Chmod(fi.Mode().Perm())
}

// copyTruncate copies the log to first and then cuts from the log only what
// was copied. Bytes appended while the copy ran are read back after it,
// the log is truncated and they are appended again, so only a write that
// lands between that last read and the truncation itself (a few system
// calls) is lost. The program must write with O_APPEND, as for any
// copytruncate: one writing at its own offset leaves a sparse file. The
// copy takes the mode, owner and group of the log, which fi describes.
// The log is judged as opened (guardFile, abs its path): a protected file
// put in its place since, under another name, is not what is truncated.
func copyTruncate(ctx context.Context, root *os.Root, rel, first string, fi fs.FileInfo, abs string) (int64, error) {
	src, err := root.OpenFile(rel, os.O_RDWR|os.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	if err := judgeLog(src, abs); err != nil {
		return 0, err
	}
	tmp := tempName(filepath.Dir(rel), filepath.Base(first))
	dst, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	// Copy up to the end as it is now; what arrives meanwhile is read too,
	// until a read finds the end.
	n, err := io.CopyBuffer(dst, readerCtx{ctx, src}, make([]byte, 256<<10))
	if err == nil {
		keepOwner(dst, fi)
		err = dst.Chmod(fi.Mode().Perm())
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, first)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return 0, err
	}
	syncDir(root, filepath.Dir(rel))
	// .1 is safe on disk. Read what was appended since the copy ended, and
	// truncate straight after the read that found the end.
	var tail []byte
	buf := make([]byte, 256<<10)
	for off := n; ; {
		k, rerr := src.ReadAt(buf, off)
		tail = append(tail, buf[:k]...)
		off += int64(k)
		if len(tail) > maxRotateTail {
			return n, fmt.Errorf("the log grew by more than %d bytes while it was copied; it was copied to %s but not truncated (use rename rotation for a log this busy)", maxRotateTail, filepath.Base(first))
		}
		if errors.Is(rerr, io.EOF) && k == 0 {
			break
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return n, rerr
		}
	}
	if err := src.Truncate(0); err != nil {
		return n, err
	}
	if len(tail) > 0 {
		if _, err := src.Write(tail); err != nil {
			return n, fmt.Errorf("putting back %d bytes written during the rotation: %w", len(tail), err)
		}
	}
	return n, nil
}

// gzipFile compresses src to dst (through a temporary file, renamed into
// place when complete), keeps its mode, owner, group and modification
// time, and removes src; src is judged as opened (judgeLog, abs its path).
func gzipFile(ctx context.Context, root *os.Root, src, dst, abs string) error {
	in, err := root.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := judgeLog(in, abs); err != nil {
		return err
	}
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	tmp := tempName(filepath.Dir(dst), filepath.Base(dst))
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	zw.Name, zw.ModTime = filepath.Base(src), fi.ModTime()
	_, err = io.Copy(zw, readerCtx{ctx, in})
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		keepOwner(out, fi)
		err = out.Chmod(fi.Mode().Perm())
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Chtimes(tmp, fi.ModTime(), fi.ModTime())
	}
	if err == nil {
		err = root.Rename(tmp, dst)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return root.Remove(src)
}

// judgeLog refuses the open file f, at abs, when it is not a regular file
// or is a protected one under another name (guardFile).
func judgeLog(f *os.File, abs string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s became a %s during the rotation; give the log file itself", abs, fileType(fi.Mode()))
	}
	return guardFile(abs, f, fi)
}

// syncDir makes renames in dir durable, as far as the file system allows.
func syncDir(root *os.Root, dir string) {
	if d, err := root.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
