package fileop

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Copy is file.copy and Move file.move.
type Copy struct{ move bool }

func copySpec(move bool) ops.Spec {
	name, verb, risk := "file.copy", "Copy", ops.RiskWrite
	desc := "Copy a regular file (a symlink's target inside the allowed roots), keeping its permission bits but not setuid, setgid or sticky; a file it replaces keeps its owner and group. The copy is written to a temporary name and renamed into place, so readers never see half a file."
	if move {
		name, verb = "file.move", "Move"
		desc = "Move (rename) a file or directory. Within one file system the rename is atomic; across file systems a regular file is copied, synced and the original removed."
	}
	return ops.Spec{
		Name:        name,
		Description: desc + " Refuses to replace an existing destination unless overwrite is true; both paths must lie inside the allowed roots.",
		Risk:        risk,
		Params: []ops.Param{
			{Name: "src", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: verb + " this path"},
			{Name: "dest", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: "to this path (not a directory to put it in)"},
			{Name: "overwrite", Type: ops.TypeBool, Default: false, Description: "replace an existing regular file at dest"},
			{Name: "create_dirs", Type: ops.TypeBool, Default: false, Description: "create dest's missing parent directories"},
		},
		Output: []ops.Field{
			{Name: "src", Type: "string", Description: "the absolute source path"},
			{Name: "dest", Type: "string", Description: "the absolute destination path"},
			{Name: "bytes", Type: "integer", Description: "bytes copied (0 for a rename)"},
		},
	}
}

// ValidateParams checks the paths.
func (c *Copy) ValidateParams(p ops.Params, _ bool) error {
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
	return errsOrNil(errs)
}

// Execute copies or moves.
func (c *Copy) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	srcPath, destPath := p.String("src"), p.String("dest")
	roots := policy.Roots(ctx)
	src, err := open(ctx, srcPath)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dest, err := open(ctx, destPath)
	if err != nil {
		return nil, err
	}
	defer dest.Close()
	// A move renames a symlink itself; a copy copies what it points to,
	// which os.Root keeps inside the root.
	stat := src.root.Stat
	if c.move {
		stat = src.root.Lstat
		// Moving a directory that holds the state dir away would carry
		// it out of its protected place.
		if err := policy.GuardTree(ctx, srcPath); err != nil {
			return nil, ops.WithClass(ops.ClassAuthorization, err)
		}
	}
	sst, err := stat(src.rel)
	if err != nil {
		return nil, policy.Classify(ctx, err, srcPath, roots)
	}
	if !c.move && !sst.Mode().IsRegular() {
		return nil, ops.Errorf(ops.ClassExecution, "%s is not a regular file; file.copy copies files (use archive.create for a directory)", srcPath)
	}
	if err := policy.SwappableSource(ctx, nil, src.abs, "the source"); err != nil {
		return nil, err
	}
	if p.Bool("create_dirs") {
		if d := filepath.Dir(dest.rel); d != "." {
			if err := makeDirs(dest, d, 0o755); err != nil {
				return nil, policy.Classify(ctx, err, destPath, roots)
			}
		}
	}
	// A file copy replaces keeps its owner and group, as file.write's
	// does: a config owned by a service stays the service's.
	var replaced fs.FileInfo
	if dst, err := dest.root.Lstat(dest.rel); err == nil {
		replaced = dst
		// What is never replaced is said first: overwrite would not help.
		switch {
		case dst.IsDir():
			return nil, ops.Errorf(ops.ClassExecution, "dest %s is a directory, which is never replaced; dest names the file itself, not a directory to put it in: give %s", destPath, filepath.Join(destPath, filepath.Base(srcPath)))
		case dst.Mode()&fs.ModeSymlink != 0:
			return nil, ops.Errorf(ops.ClassExecution, "dest %s is a symlink, which is never replaced; give the file it points to as dest, or delete the link first", destPath)
		case !dst.Mode().IsRegular():
			return nil, ops.Errorf(ops.ClassExecution, "dest %s is a %s, which is never replaced; delete it first or give another dest", destPath, fileType(dst.Mode()))
		case !p.Bool("overwrite"):
			return nil, ops.Errorf(ops.ClassExecution, "%s already exists; set overwrite: true to replace it", destPath)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, policy.Classify(ctx, err, destPath, roots)
	}
	out := map[string]any{"src": src.abs, "dest": dest.abs, "bytes": 0}
	replace := p.Bool("overwrite")
	exists := func() error {
		return ops.Errorf(ops.ClassExecution, "%s already exists; set overwrite: true to replace it", destPath)
	}
	if c.move {
		var err error
		if src.root.Name() == dest.root.Name() && !movesAt {
			err = place(src.root.Link, src.root.Rename, src.root.Remove, src.rel, dest.rel, replace, sst.IsDir())
		} else {
			err = moveBetween(ctx, src, dest, replace, sst.IsDir())
		}
		switch {
		case err == nil:
			return out, nil
		case errors.Is(err, fs.ErrExist):
			return nil, exists()
		case !errors.Is(err, syscall.EXDEV):
			return nil, policy.Classify(ctx, err, srcPath, roots)
		}
	}
	if !sst.Mode().IsRegular() {
		return nil, ops.Errorf(ops.ClassExecution, "%s is on another file system and is not a regular file; it cannot be moved atomically", srcPath)
	}
	// Permission bits only: the copy belongs to the user the step runs as,
	// not to the original's owner, so a setuid or setgid bit kept would
	// make a program that runs as that user, root as often as not.
	// A move puts the source itself at dest, not new content into the
	// file it replaces: that file's owner is not the move's to keep.
	if c.move {
		replaced = nil
	}
	n, err := copyFile(ctx, src, dest, sst.Mode().Perm(), replace, replaced)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil, exists()
	case err != nil && ctx.Err() != nil:
		return nil, context.Cause(ctx) // stopped: dest is as it was
	case err != nil:
		return nil, policy.Classify(ctx, err, destPath, roots)
	}
	out["bytes"] = n
	if c.move {
		if err := removeIn(src); err != nil {
			return nil, policy.Classify(ctx, err, srcPath, roots)
		}
	}
	return out, nil
}

// place moves the file old to new. Replacing, or moving a directory, is a
// rename (the caller has checked that new does not exist; rename(2)
// replaces a directory only when it is empty). Otherwise it is a hard link then an unlink: the link fails when
// new exists, so a file created at new since it was checked is never
// replaced. Where hard links are not supported it falls back to a rename,
// which can replace a file created in that instant.
func place(link, rename func(string, string) error, remove func(string) error, old, new string, replace, dir bool) error {
	if replace || dir {
		return rename(old, new)
	}
	err := link(old, new)
	switch {
	case err == nil:
		return remove(old)
	case errors.Is(err, fs.ErrExist), errors.Is(err, syscall.EXDEV):
		return err
	}
	return rename(old, new)
}

// copyFile copies src to a temporary file beside dest, syncs it and puts
// it in place (see place). The copy takes the owner and group of the file
// replaced describes (nil for none; see keepOwner). An error opening src
// names src, and a missing directory of dest says so.
func copyFile(ctx context.Context, src, dest *target, mode fs.FileMode, replace bool, replaced fs.FileInfo) (int64, error) {
	in, err := src.root.Open(src.rel)
	if err != nil {
		return 0, policy.Classify(ctx, err, src.path, policy.Roots(ctx))
	}
	defer in.Close()
	if err := policy.SwappableSource(ctx, in, src.abs, "the source"); err != nil {
		return 0, err
	}
	// A copy of a protected file under another name (a hard link) would
	// be one that the path checks let file.read read.
	if fi, err := in.Stat(); err != nil {
		return 0, err
	} else if err := guardFile(src.abs, in, fi); err != nil {
		return 0, err
	}
	// Written and put in place by name in dest's directory as judged.
	dest, err = pinParent(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, noDir(ctx, dest.path)
	}
	if err != nil {
		return 0, err
	}
	defer dest.Close()
	dir, base := filepath.Dir(dest.rel), filepath.Base(dest.rel)
	tmp := tempName(dir, base)
	out, err := dest.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, noDir(ctx, dest.path)
	}
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, readerCtx{ctx: ctx, r: in})
	if err == nil && replaced != nil {
		keepOwner(out, replaced)
	}
	if err == nil {
		err = out.Chmod(mode)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	// A run stopped once the source was read (while the copy was synced,
	// long for a large file) installs nothing, as file.write does.
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err == nil {
		err = place(dest.root.Link, dest.root.Rename, dest.root.Remove, tmp, dest.rel, replace, false)
	}
	if err != nil {
		_ = dest.root.Remove(tmp)
		return 0, err
	}
	return n, nil
}
