package fsroot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestOpenDirMakesNothingInAProtectedDir: a directory on the way swapped,
// once judged, for a symlink to the state dir inside the root leads
// neither the directories OpenDir makes nor the one it returns there (it
// fails instead); a
// path that leads there from the start is refused, naming where it leads.
func TestOpenDirMakesNothingInAProtectedDir(t *testing.T) {
	base := t.TempDir()
	st := filepath.Join(base, "state")
	if err := os.MkdirAll(filepath.Join(base, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	withProtected(t, st)
	root, err := os.OpenRoot(base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	swapped := false
	testHookJudgedDir = func(*os.Root) {
		if swapped {
			return
		}
		swapped = true
		if err := os.Rename(filepath.Join(base, "a"), filepath.Join(base, "a.old")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state", filepath.Join(base, "a")); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookJudgedDir = nil })
	d, err := OpenDir(root, "a/b/c", true, 0o755)
	if err == nil {
		d.Close()
	}
	if err == nil {
		t.Error("OpenDir through a swapped a succeeded, want it to fail")
	}
	if _, err := os.Lstat(filepath.Join(st, "b")); err == nil {
		t.Error("a directory was made in the state dir")
	}
	if _, err := os.Stat(filepath.Join(base, "a.old", "b")); err != nil {
		t.Errorf("b was not made in the directory judged: %v", err)
	}
	testHookJudgedDir = nil
	if d, err := OpenDir(root, "a/x", true, 0o755); !errors.Is(err, ops.ErrDenied) {
		if err == nil {
			d.Close()
		}
		t.Errorf("OpenDir(a/x), a leading to the state dir = %v, want it refused", err)
	}
	if d, err := OpenDir(root, "a.old/b/c/d", true, 0o700); err != nil {
		t.Errorf("OpenDir of a plain path: %v", err)
	} else {
		d.Close()
	}
}
