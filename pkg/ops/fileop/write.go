package fileop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Write is the file.write operation.
type Write struct{}

var (
	_ ops.Op             = (*Write)(nil)
	_ ops.ParamValidator = (*Write)(nil)
)

// RiskFor is read for check: true, which writes nothing, and destructive
// for a setuid or setgid mode (see modeRisk).
func (*Write) RiskFor(p ops.Params) ops.Risk {
	if b, ok := p["check"].(bool); ok && b {
		return ops.RiskRead
	}
	return modeRisk(p, ops.RiskWrite)
}

// AssessesDeferred: a check still to be computed counts as writing, and
// modeRisk answers for a mode still to be computed.
func (*Write) AssessesDeferred() bool { return true }

func writeSpec() ops.Spec {
	return ops.Spec{
		Name: "file.write",
		Description: "Write a file atomically: the content goes to a temporary file in the same directory, is flushed to disk, and replaces the file by rename, " +
			"so readers see the old or the new content, never a mix. The file is written only when its content or its mode differs: changed says whether it was. A replaced file keeps its owner and group, and its permission bits unless mode is given. A symlink at path is replaced, not followed. " +
			"With append, the content is added at the end instead (not atomic: a crash can leave part of it). " +
			"With check: true nothing is written: changed and a diff show what would change (a missing directory, without create_dirs, fails it as it would fail the write), and the step counts as a read, so it also runs in a dry run.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			pathParam,
			{Name: "content", Type: ops.TypeString, Required: true, MaxLen: 64 << 20, Description: "the text to write"},
			{Name: "mode", Type: ops.TypeString, TypeHint: ops.ModeHint, Description: "the mode in octal, like 0644 or 0600, or 4 digits with setuid, setgid or sticky (4755); default 0644 for a new file, the permission bits of a replaced one; with append, only for a file it creates"},
			{Name: "append", Type: ops.TypeBool, Default: false, Description: "add the content at the end of the file instead of replacing it"},
			{Name: "create_dirs", Type: ops.TypeBool, Default: false, Description: "create missing parent directories (mode 0755)"},
			{Name: "check", Type: ops.TypeBool, Default: false, Description: "only report whether the file would change, and the diff; write nothing"},
		},
		Output: []ops.Field{
			{Name: "changed", Type: "bool", Description: "true when the content or the mode differs, or a file that is not regular is replaced; with append, when content is not empty or the file is created (with check: would)"},
			{Name: "bytes", Type: "integer", Description: "bytes written; the size of content when nothing is written"},
			{Name: "path", Type: "string", Description: "the absolute path"},
			{Name: "diff", Type: "string", Description: "with check: true only: a unified diff of the content, current to new; empty when equal, and with append; at most 64 KiB"},
		},
	}
}

var modeRE = regexp.MustCompile(`^0?[0-7]{3,4}$`)

// ValidateParams checks the path and the mode.
func (*Write) ValidateParams(p ops.Params, _ bool) error {
	if err := checkPath(p); err != nil {
		return err
	}
	if p.Known("mode") && !modeRE.MatchString(p.String("mode")) {
		return &ops.ParamError{Param: "mode", Msg: fmt.Sprintf("%q is not an octal permission like 0644", p.String("mode"))}
	}
	return nil
}

var tmpSeq atomic.Uint64

// Execute writes the file.
func (*Write) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	path, content := p.String("path"), p.String("content")
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	fail := func(err error) error { return policy.Classify(ctx, err, path, policy.Roots(ctx)) }
	if t.rel == "." {
		return nil, ops.Errorf(ops.ClassExecution, "%s is a root directory, not a file", path)
	}
	dir := filepath.Dir(t.rel)
	// A replaced file keeps its permission bits but not setuid, setgid or
	// sticky: new content gets those only when mode asks for them, which
	// makes the step destructive (see modeRisk).
	// It keeps its owner and group too (see keepOwner).
	mode := fs.FileMode(0o644)
	var replaced fs.FileInfo
	existing, err := t.root.Lstat(t.rel)
	switch {
	case err == nil && existing.IsDir():
		return nil, ops.Errorf(ops.ClassExecution, "%s is a directory; path names the file to write, not a directory to put it in: "+
			"give a file's path inside it, such as %s", path, filepath.Join(path, "NAME"))
	case err == nil && existing.Mode().IsRegular():
		mode, replaced = existing.Mode().Perm(), existing
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fail(err)
	}
	mode = modeOf(p, mode)
	check := p.Bool("check")
	if err != nil {
		existing = nil
	}
	out := map[string]any{"bytes": len(content), "path": t.abs}
	// A check says what the write would do: fail, when the file's
	// directory is missing and create_dirs does not make it.
	if check && existing == nil && dir != "." && !p.Bool("create_dirs") {
		if _, err := t.root.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, noDir(ctx, path)
		}
	}
	if p.Bool("append") {
		// Only a regular file is appended to: a FIFO nobody reads would
		// block the step past its timeout (an open or a write on a pipe
		// does not see the context), and a device would take the content
		// who knows where.
		if existing != nil && !existing.Mode().IsRegular() {
			return nil, ops.Errorf(ops.ClassExecution, "%s is not a regular file but a %s; file.write appends to regular files only", path, fileType(existing.Mode()))
		}
		if check {
			out["changed"], out["diff"] = existing == nil || content != "", ""
			return out, nil
		}
	} else {
		changed, diff, err := compareWrite(t, existing, content, mode, p.Known("mode"), check)
		if err != nil {
			return nil, fail(err)
		}
		out["changed"] = changed
		if check {
			out["diff"] = diff
		}
		if check || !changed {
			return out, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	if p.Bool("create_dirs") && dir != "." {
		if err := makeDirs(t, dir, 0o755); err != nil {
			return nil, fail(err)
		}
	}
	if p.Bool("append") {
		// By its name in its directory as judged, as a replacement is.
		pt, err := pinParent(t)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, noDir(ctx, path)
		}
		if err != nil {
			return nil, fail(err)
		}
		defer pt.Close()
		f, created, err := openAppend(pt.root, pt.rel, mode)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, noDir(ctx, path)
		}
		if err != nil {
			return nil, fail(err)
		}
		// What was opened may have changed since the Lstat.
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			f.Close()
			if err != nil {
				return nil, fail(err)
			}
			return nil, ops.Errorf(ops.ClassExecution, "%s is not a regular file but a %s; file.write appends to regular files only", path, fileType(fi.Mode()))
		} else if err := guardFile(t.abs, f, fi); err != nil {
			f.Close()
			return nil, fail(err)
		}
		n, err := f.WriteString(content)
		if err == nil && created && p.Known("mode") {
			err = f.Chmod(mode) // exact bits, special ones too, whatever the umask
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, writeFailed(ctx, err, path, t.abs, "the file may end with part of the content")
		}
		out["bytes"], out["changed"] = n, created || n > 0
		return out, nil
	}
	if err := replaceWith(ctx, t, content, mode, replaced); err != nil {
		return nil, err
	}
	return out, nil
}

// replaceWith writes content to a new file beside t, with mode and the
// owner and group of the file it replaces (replaced; nil for none), and
// renames it over t, so that a reader sees the old content or the new,
// never part; the rename is made durable. A run stopped meanwhile
// installs nothing, and a failure leaves no temporary file behind.
func replaceWith(ctx context.Context, t *target, content string, mode fs.FileMode, replaced fs.FileInfo) error {
	t, err := pinParent(t)
	if errors.Is(err, fs.ErrNotExist) {
		return noDir(ctx, t.path)
	}
	if err != nil {
		return policy.Classify(ctx, err, t.path, policy.Roots(ctx))
	}
	defer t.Close()
	dir := filepath.Dir(t.rel)
	tmp := tempName(dir, filepath.Base(t.rel))
	_, err = writeTemp(t.root, tmp, content, mode, replaced)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err == nil {
		err = t.root.Rename(tmp, t.rel)
	}
	if err != nil {
		_ = t.root.Remove(tmp)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return noDir(ctx, t.path)
		}
		return writeFailed(ctx, err, t.path, t.abs, unchanged(replaced != nil))
	}
	syncDir(t.root, dir)
	return nil
}

// tempName is the name of a temporary file in dir, for one that is to be
// renamed to base: hidden, unique in this process and marked as ours.
func tempName(dir, base string) string {
	return filepath.Join(dir, fmt.Sprintf(".%s.arsenal-tmp-%d-%d", base, os.Getpid(), tmpSeq.Add(1)))
}

// noDir is the error of a write whose directory does not exist, said as
// well by a check: true of that write.
func noDir(ctx context.Context, path string) error {
	return ops.Errorf(ops.ClassExecution, "the directory of %s does not exist%s; create it or set create_dirs: true", path, policy.LookedFor(ctx, path))
}

// openAppend opens name in root for appending, creating it with the
// permission bits of mode when it is missing, and reports whether it did:
// only a file this call created takes the mode param. Creating
// exclusively first tells the two apart; a name that exists, a dangling
// symlink included, is then opened without O_EXCL, which follows such a
// symlink inside the root and creates its target.
func openAppend(root *os.Root, name string, mode fs.FileMode) (*os.File, bool, error) {
	const flag = os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NONBLOCK | syscall.O_NOCTTY
	f, err := root.OpenFile(name, flag|os.O_EXCL, mode.Perm())
	if !errors.Is(err, fs.ErrExist) {
		return f, err == nil, err
	}
	f, err = root.OpenFile(name, flag, mode.Perm())
	return f, false, err
}

// writeTemp creates name exclusively and writes, chmods and syncs it.
// When it is to replace the file replaced describes (nil for none), it
// takes that file's owner and group first: a chown may clear setuid and
// setgid, so the mode comes after it.
func writeTemp(root *os.Root, name, content string, mode fs.FileMode, replaced fs.FileInfo) (int, error) {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := f.WriteString(content)
	if err == nil && replaced != nil {
		keepOwner(f, replaced)
	}
	if err == nil {
		err = f.Chmod(mode) // exact bits, whatever the umask
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// Delete is the file.delete operation.
type Delete struct{}

var (
	_ ops.Op             = (*Delete)(nil)
	_ ops.ParamValidator = (*Delete)(nil)
)

func deleteSpec() ops.Spec {
	path := pathParam
	path.Required = false
	path.Description += "; exclusive with paths"
	return ops.Spec{
		Name: "file.delete",
		Description: "Delete a file or a symlink (the link, not its target), or every file in paths (the list file.find returns). Directories are refused. " +
			"A missing file fails the step unless missing_ok is true. With paths, every path is checked (roots, type, existence) before any is deleted.",
		Risk: ops.RiskDestructive,
		Params: []ops.Param{
			path,
			{Name: "paths", Type: ops.TypeList, Items: ops.TypeString, MaxLen: MaxFindLimit, Path: ops.PathInRoots,
				Description: "files to delete, such as ${{ steps.find.output.paths }}; each must lie inside the allowed roots; exclusive with path"},
			{Name: "missing_ok", Type: ops.TypeBool, Default: false, Description: "succeed when a file does not exist (with path: deleted: false; with paths: it is skipped)"},
		},
		Output: []ops.Field{
			{Name: "deleted", Type: "bool or integer", Description: "with path: true when the file was removed; with paths: how many files were removed"},
			{Name: "path", Type: "string", Description: "with path: the absolute path"},
			{Name: "paths", Type: "list", Description: "with paths: the absolute paths removed"},
		},
	}
}

// ValidateParams checks that path or paths is given, and the paths.
func (*Delete) ValidateParams(p ops.Params, _ bool) error { return checkDeletePaths(p) }

// Execute deletes the file, or the files.
func (*Delete) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	if _, many := p["paths"]; many {
		return deletePaths(ctx, p.Strings("paths"), p.Bool("missing_ok"))
	}
	path := p.String("path")
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	fi, err := t.root.Lstat(t.rel)
	switch {
	case errors.Is(err, fs.ErrNotExist) && p.Bool("missing_ok"):
		return map[string]any{"deleted": false, "path": t.abs}, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, ops.Errorf(ops.ClassExecution, "%s does not exist%s; set missing_ok: true if that is fine", path, policy.LookedFor(ctx, path))
	case err != nil:
		return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
	case fi.IsDir():
		return nil, ops.Errorf(ops.ClassExecution, "%s is a directory; file.delete removes files only", path)
	}
	if err := removeIn(t); err != nil {
		return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
	}
	return map[string]any{"deleted": true, "path": t.abs}, nil
}
