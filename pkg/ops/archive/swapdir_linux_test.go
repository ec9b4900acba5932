package archive

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestExtractWritesNothingInTheStateDir: a directory of dest swapped,
// after the entries were checked, for a symlink to the state dir inside
// dest: archive.extract fails, and neither writes a file there nor sets
// the state dir's mode.
func TestExtractWritesNothingInTheStateDir(t *testing.T) {
	e := newEnv(t)
	write(t, e.root, map[string]string{"tree/app/config": "x", "www/app/": ""})
	if err := os.Chmod(filepath.Join(e.root, "tree", "app"), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("archive.create", map[string]any{"src": "tree", "dest": "a.tar.gz"}); err != nil {
		t.Fatal(err)
	}
	st := filepath.Join(e.root, "www", "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	app := filepath.Join(e.root, "www", "app")
	testHookWrite = func(name string) {
		if name != filepath.Join("app", "config") {
			return
		}
		testHookWrite = nil
		if err := os.Remove(app); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state", app); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookWrite = nil })
	out, err := e.run("archive.extract", map[string]any{"src": "a.tar.gz", "dest": "www", "overwrite": true})
	if err == nil {
		t.Errorf("extract, app swapped for a symlink to the state dir: %v, want it refused", out)
	}
	if _, err := os.Lstat(filepath.Join(st, "config")); err == nil {
		t.Error("config was written in the state dir")
	}
	if fi, err := os.Stat(st); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the state dir is now %v (%v), want 0700", fi.Mode(), err)
	}
}

// TestExtractUndoRemovesNothingInTheStateDir: the write pass into a dest
// the extraction made (new/out) fails, and meanwhile new, which it made
// too, is swapped for a symlink to the state dir inside the root, which
// holds a file named out: the undo removes what it wrote in dest, but not
// the state dir's out.
func TestExtractUndoRemovesNothingInTheStateDir(t *testing.T) {
	long := "b/" + strings.Repeat("x", 300) // only the write finds it too long
	data := tarGz(t,
		member{name: "a/", typ: tar.TypeDir},
		member{name: "a/first.txt", typ: tar.TypeReg, body: "first"},
		member{name: long, typ: tar.TypeReg, body: "long"},
	)
	e := newEnv(t)
	if err := os.WriteFile(filepath.Join(e.root, "a.tar.gz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	st := filepath.Join(e.root, "state")
	write(t, st, map[string]string{"out": "history"})
	fsroot.Protect(st, "state dir")
	made := filepath.Join(e.root, "new")
	testHookWrite = func(name string) {
		if name != filepath.FromSlash(long) {
			return
		}
		testHookWrite = nil
		if err := os.Rename(made, made+".old"); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state", made); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookWrite = nil })
	if _, err := e.run("archive.extract", map[string]any{"src": "a.tar.gz", "dest": "new/out"}); err == nil {
		t.Error("extract with a name too long: no error")
	}
	if b, err := os.ReadFile(filepath.Join(st, "out")); err != nil || string(b) != "history" {
		t.Errorf("the state dir's out after the undo: %q %v, want it kept", b, err)
	}
	if _, err := os.Lstat(filepath.Join(made+".old", "out", "a", "first.txt")); err == nil {
		t.Error("a/first.txt, which the extraction wrote, was left")
	}
}

// TestCreatePacksNothingOfTheStateDir: a directory of src swapped, after
// the walk listed it, for a symlink to the state dir inside the root,
// where a file of the same name is a key: archive.create refuses, and
// writes no archive holding the key.
func TestCreatePacksNothingOfTheStateDir(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "state")
	write(t, st, map[string]string{"report.key": "secret-report-key"})
	fsroot.Protect(st, "state dir")
	write(t, e.root, map[string]string{"data/sub/report.key": "a placeholder"})
	sub := filepath.Join(e.root, "data", "sub")
	testHookPack = func(rel string) {
		if rel != filepath.Join("data", "sub", "report.key") {
			return
		}
		testHookPack = nil
		if err := os.Rename(sub, sub+".old"); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "state"), sub); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookPack = nil })
	_, err := e.run("archive.create", map[string]any{"src": "data", "dest": "out.tar.gz"})
	if !errors.Is(err, ops.ErrDenied) {
		t.Errorf("archive.create, sub swapped for a symlink to the state dir: %v, want it refused", err)
	}
	if b, err := os.ReadFile(filepath.Join(e.root, "out.tar.gz")); err == nil {
		t.Errorf("an archive of %d bytes was written", len(b))
	}
}
