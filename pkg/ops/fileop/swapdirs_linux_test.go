package fileop

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// TestCreateDirsMakesNothingInTheStateDir: a user who may write the root
// swaps a directory on the way, once the path is checked, for a symlink
// to the state dir inside the root; create_dirs of file.write,
// file.template and file.copy, file.mkdir and an append make nothing
// there, and the step fails.
func TestCreateDirsMakesNothingInTheStateDir(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	src := e.file("src.txt", "x")
	steps := []struct {
		op     string
		params map[string]any
	}{
		{"file.write", map[string]any{"path": "a/b/x", "content": "x", "create_dirs": true}},
		{"file.write", map[string]any{"path": "a/x", "content": "x", "append": true}},
		{"file.template", map[string]any{"dest": "a/b/x", "content": "x", "create_dirs": true}},
		{"file.copy", map[string]any{"src": src, "dest": "a/b/x", "create_dirs": true}},
		{"file.mkdir", map[string]any{"path": "a/b"}},
	}
	a := filepath.Join(e.root, "a")
	for _, s := range steps {
		_ = os.Remove(a)
		if err := os.Mkdir(a, 0o755); err != nil {
			t.Fatal(err)
		}
		testHookLocated = func(abs string) {
			if filepath.Dir(abs) != a && filepath.Dir(filepath.Dir(abs)) != a {
				return // the source of file.copy
			}
			testHookLocated = nil
			if err := os.Remove(a); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("state", a); err != nil {
				t.Fatal(err)
			}
		}
		out, err := e.run(s.op, s.params)
		testHookLocated = nil
		if err == nil {
			t.Errorf("%s %v, a swapped for a symlink to the state dir: %v, want it to fail", s.op, s.params, out)
		}
		left, _ := os.ReadDir(st)
		for _, l := range left {
			t.Errorf("%s %v, a swapped for a symlink to the state dir: made %s in it", s.op, s.params, l.Name())
			_ = os.RemoveAll(filepath.Join(st, l.Name()))
		}
	}
}
