//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package fileop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// swapForSymlink moves the directory dir aside to dir.real and puts a
// symlink to target in its place, as a local user racing a move would.
func swapForSymlink(t *testing.T, dir, target string) {
	t.Helper()
	if err := os.Rename(dir, dir+".real"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, dir); err != nil {
		t.Fatal(err)
	}
}

// hookMove sets testHookMoveBetween to f for the test.
func hookMove(t *testing.T, f func()) {
	t.Helper()
	testHookMoveBetween = f
	t.Cleanup(func() { testHookMoveBetween = nil })
}

// TestMoveBetweenRootsFollowsNoSwappedParent swaps a parent directory of
// dest, then of src, for a symlink out of the roots after file.move has
// checked both paths: the move is denied, and nothing leaves or enters
// the roots.
func TestMoveBetweenRootsFollowsNoSwappedParent(t *testing.T) {
	for _, tc := range []struct {
		name      string
		overwrite bool
		dir       bool
	}{
		{name: "file by link"},
		{name: "file by rename", overwrite: true},
		{name: "directory", dir: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			other := t.TempDir()
			e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{[]string{e.root, other}}})
			if err := os.Mkdir(filepath.Join(other, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
			src := e.file("f", "payload")
			if tc.dir {
				src = filepath.Join(e.root, "sub")
			}
			hookMove(t, func() { swapForSymlink(t, filepath.Join(other, "d"), e.out) })
			dest := filepath.Join(other, "d", "f")
			_, err := e.run("file.move", map[string]any{"src": src, "dest": dest, "overwrite": tc.overwrite})
			denied(t, "move into a parent swapped for a symlink", err, dest)
			if _, err := os.Lstat(filepath.Join(e.out, "f")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the move left the roots: %v", err)
			}
			if _, err := os.Lstat(src); err != nil {
				t.Errorf("the source is gone: %v", err)
			}
		})
	}
	t.Run("source", func(t *testing.T) {
		e := newEnv(t)
		other := t.TempDir()
		e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{[]string{e.root, other}}})
		e.tree(map[string]string{"s/x": "mine"}, nil)
		if err := os.Mkdir(filepath.Join(e.out, "s"), 0o755); err != nil {
			t.Fatal(err)
		}
		secret := e.file(filepath.Join(e.out, "s", "x"), "top secret")
		hookMove(t, func() { swapForSymlink(t, filepath.Join(e.root, "s"), filepath.Join(e.out, "s")) })
		_, err := e.run("file.move", map[string]any{"src": "s/x", "dest": filepath.Join(other, "x")})
		denied(t, "move from a parent swapped for a symlink", err, "s/x")
		if _, err := os.Lstat(filepath.Join(other, "x")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a file from outside the roots was moved in: %v", err)
		}
		if read(t, secret) != "top secret" {
			t.Error("the file outside changed")
		}
	})
}

// TestPlaceAtKeepsToOpenedDirectories swaps the destination's parent for a
// symlink out of the roots once placeAt's directories are open: the file
// lands in the directory that was checked, wherever it now is.
func TestPlaceAtKeepsToOpenedDirectories(t *testing.T) {
	for _, replace := range []bool{false, true} {
		t.Run(fmt.Sprintf("replace %v", replace), func(t *testing.T) {
			base := t.TempDir()
			r1, r2, out := filepath.Join(base, "r1"), filepath.Join(base, "r2"), filepath.Join(base, "outside")
			for _, d := range []string{r1, filepath.Join(r2, "d"), out} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(r1, "f"), []byte("payload"), 0o644); err != nil {
				t.Fatal(err)
			}
			src, dest := openTarget(t, r1, "f"), openTarget(t, r2, "d/f")
			sdir, err := openDir(src.root, ".")
			if err != nil {
				t.Fatal(err)
			}
			defer sdir.Close()
			ddir, err := openDir(dest.root, "d")
			if err != nil {
				t.Fatal(err)
			}
			defer ddir.Close()
			swapForSymlink(t, filepath.Join(r2, "d"), "../outside")
			if err := placeAt(sdir, ddir, src, dest, replace, false); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(filepath.Join(out, "f")); !errors.Is(err, fs.ErrNotExist) {
				t.Error("the file left the roots")
			}
			if _, err := os.Lstat(filepath.Join(r1, "f")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the source remains: %v", err)
			}
			if read(t, filepath.Join(r2, "d.real", "f")) != "payload" {
				t.Error("the file is not in the directory that was opened")
			}
		})
	}
}

func openTarget(t *testing.T, root, rel string) *target {
	t.Helper()
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	abs := filepath.Join(root, rel)
	return &target{root: r, rel: rel, abs: abs, path: abs}
}

// TestMoveBetweenRootsThroughInnerSymlinks moves through symlinks that stay
// inside their roots, which the checks allow, and refuses to move a root.
func TestMoveBetweenRootsThroughInnerSymlinks(t *testing.T) {
	e := newEnv(t)
	other := t.TempDir()
	e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{[]string{e.root, other}}})
	if err := os.Mkdir(filepath.Join(other, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("d", filepath.Join(other, "in")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(e.root, "here")); err != nil {
		t.Fatal(err)
	}
	e.file("sub/f", "payload")
	if _, err := e.run("file.move", map[string]any{"src": "here/f", "dest": filepath.Join(other, "in", "f")}); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(other, "d", "f")) != "payload" {
		t.Error("not moved through the symlinks")
	}
	_, err := e.run("file.move", map[string]any{"src": filepath.Join(other, "d", "f"), "dest": "no/such/f"})
	if ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "create_dirs") {
		t.Errorf("move into a missing directory: %v", err)
	}
	_, err = e.run("file.move", map[string]any{"src": other, "dest": "moved-root"})
	if err == nil || !strings.Contains(err.Error(), "is a root directory") {
		t.Errorf("move of a root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "d", "f")); err != nil {
		t.Errorf("after the refused moves: %v", err)
	}
}
