// Package fileop holds the file.* operations: read, write, stat and delete
// files; find them; make directories; change modes and owners; copy, move
// and rotate files; render templates. Every path is confined to the roots the caller's scope allows
// (default: the working directory and the temp directory) through os.Root,
// so neither "..", an absolute path nor a symlink can reach outside them.
package fileop

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// RootsScope is what an authorization scope (ops.Call.Scope) implements to
// set the directory trees file ops may touch. Without it, or when it
// returns nil, the roots are DefaultRoots; an empty list allows nothing.
type RootsScope = policy.FileRoots

// DefaultRoots returns the working directory and the temp directory.
func DefaultRoots() []string { return policy.DefaultRoots() }

// Register adds the file.* operations to r.
func Register(r *ops.Registry) error {
	for _, d := range []struct {
		spec ops.Spec
		op   ops.Op
	}{
		{readSpec(), &Read{Memory: r.OutputMemory()}},
		{writeSpec(), &Write{}},
		{statSpec(), &Stat{}},
		{deleteSpec(), &Delete{}},
		{findSpec(), &Find{}},
		{mkdirSpec(), &Mkdir{}},
		{chmodSpec(), &Chmod{}},
		{chownSpec(), &Chown{}},
		{copySpec(false), &Copy{}},
		{copySpec(true), &Copy{move: true}},
		{rotateSpec(), &Rotate{}},
		{templateSpec(), &Template{}},
	} {
		if err := r.Register(d.spec, d.op); err != nil {
			return err
		}
	}
	return nil
}

var pathParam = ops.Param{Name: "path", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots,
	Description: "the file; a relative path is taken from the playbook's directory; it must lie inside the allowed roots (default: the working directory and the temp directory)"}

// checkPath is the ValidateParams shared by the file ops.
func checkPath(p ops.Params) error {
	if !p.Known("path") {
		return nil
	}
	s := p.String("path")
	switch {
	case s == "":
		return &ops.ParamError{Param: "path", Msg: "is empty"}
	case strings.IndexByte(s, 0) >= 0:
		return &ops.ParamError{Param: "path", Msg: "contains a NUL byte"}
	}
	return nil
}

// target is a path opened for access: the root it lies in, the path
// relative to it, the absolute path and the path as the caller gave it
// (what errors name). Close releases the root.
type target struct {
	root *os.Root
	rel  string
	abs  string
	path string
}

// testHookLocated, when set, runs once open has checked a path, with the
// absolute path: tests swap what it names there.
var testHookLocated func(abs string)

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
	if testHookLocated != nil {
		testHookLocated(place.Abs)
	}
	return &target{root: root, rel: place.Rel, abs: place.Abs, path: path}, nil
}

func (t *target) Close() { t.root.Close() }

// guardFile refuses the open file f, found at abs, when it is protected:
// as another name of a protected file (a hard link; fsroot.GuardIdentity,
// judged on fi, f's own Stat) or by where it really is (fsroot.GuardOpened):
// the path was checked before the open, but a symlink put in its place
// meanwhile, inside the root, may have led the open into the state dir.
func guardFile(abs string, f *os.File, fi fs.FileInfo) error {
	if err := fsroot.GuardIdentity(abs, fi); err != nil {
		return err
	}
	return fsroot.GuardOpened(f)
}

// pinParent opens the directory that holds t through t's root and judges
// it where it really is (see guardOpened): t's path was checked before,
// but a parent swapped since for a symlink inside the root (to the state
// dir beside it) would be followed by every operation by path. The
// target returned names t's base name in that directory, which no later
// swap can move, and t as t does in messages; on an error it is t.
func pinParent(t *target) (*target, error) {
	sub, err := t.root.OpenRoot(filepath.Dir(t.rel))
	if err != nil {
		return t, err
	}
	d, err := sub.OpenFile(".", dirFlag, 0)
	if err == nil {
		err = guardOpened(d, t, fsroot.Guard)
		d.Close()
	}
	if err != nil {
		sub.Close()
		return t, err
	}
	return &target{root: sub, rel: filepath.Base(t.rel), abs: t.abs, path: t.path}, nil
}

// makeDirs makes the missing directories of dir in t's root, like
// create_dirs, each in its parent as opened and judged where it really is
// (fsroot.OpenDir): a directory on the way swapped for a symlink to the
// state dir beside it gets nothing made in it.
func makeDirs(t *target, dir string, perm fs.FileMode) error {
	d, err := fsroot.OpenDir(t.root, dir, true, perm)
	if err != nil {
		return err
	}
	d.Close()
	return nil
}

// removeIn removes t's file by its base name in its directory, as judged
// by pinParent.
func removeIn(t *target) error {
	p, err := pinParent(t)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.root.Remove(p.rel)
}

// fileType names the kind of file a mode describes.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "other"
}

// Stat is the file.stat operation.
type Stat struct{}

var (
	_ ops.Op             = (*Stat)(nil)
	_ ops.ParamValidator = (*Stat)(nil)
)

func statSpec() ops.Spec {
	return ops.Spec{
		Name:        "file.stat",
		Description: "Describe a file: whether it exists, its size, permissions, modification time and type. A missing file is exists: false, not an error. Symlinks are followed inside the allowed roots.",
		Risk:        ops.RiskRead,
		Params:      []ops.Param{pathParam},
		Output: []ops.Field{
			{Name: "exists", Type: "bool"},
			{Name: "size", Type: "integer", Description: "bytes; 0 when missing"},
			{Name: "mode", Type: "string", Description: "permissions in octal, e.g. 0644; null when missing"},
			{Name: "mtime", Type: "string", Description: "last modification, RFC 3339; null when missing"},
			{Name: "is_dir", Type: "bool"},
			{Name: "is_symlink", Type: "bool", Description: "path itself is a symlink"},
			{Name: "type", Type: "string", Description: "file, dir, symlink, fifo, socket, device or other; null when missing"},
			{Name: "path", Type: "string", Description: "the absolute path"},
		},
	}
}

// ValidateParams checks the path.
func (*Stat) ValidateParams(p ops.Params, _ bool) error { return checkPath(p) }

// Execute stats the file.
func (*Stat) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	path := p.String("path")
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	out := map[string]any{"exists": false, "size": 0, "mode": nil, "mtime": nil, "is_dir": false, "is_symlink": false, "type": nil, "path": t.abs}
	lfi, err := t.root.Lstat(t.rel)
	if err == nil && lfi.Mode()&fs.ModeSymlink != 0 {
		out["is_symlink"] = true
	}
	fi, err := t.root.Stat(t.rel)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return out, nil
	}
	if err != nil {
		return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
	}
	out["exists"] = true
	out["size"] = int(fi.Size())
	out["mode"] = fsx.Octal(fi.Mode())
	out["mtime"] = fi.ModTime().UTC().Format(time.RFC3339Nano)
	out["is_dir"] = fi.IsDir()
	out["type"] = fileType(fi.Mode())
	return out, nil
}
