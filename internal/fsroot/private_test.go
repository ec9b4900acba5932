package fsroot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestPrivateBaseIsProtectedBeforeItExists: no file operation touches the
// private runtime directory, also before this process made it (another
// caller's file.mkdir must not make it first, and a process that runs no
// shell step still keeps its file operations out of another's) and
// through a symlink to it.
func TestPrivateBaseIsProtectedBeforeItExists(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	withProtected(t)
	base := PrivateBase()
	if err := Guard(base); !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "private runtime dir") {
		t.Errorf("Guard(%s) before it exists = %v, want a denial naming the private runtime dir", base, err)
	}
	dir, err := MkdirPrivate("output-")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != base {
		t.Errorf("MkdirPrivate made %s, not in %s", dir, base)
	}
	if err := os.Symlink(dir, filepath.Join(tmp, "link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "output"), filepath.Join(tmp, "link", "output")} {
		if _, err := Locate(p, []string{tmp}); !errors.Is(err, ops.ErrDenied) {
			t.Errorf("Locate(%s) = %v, want a denial", p, err)
		}
	}
	if err := GuardTree(tmp); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("GuardTree of the temporary directory = %v, want a denial: moving it would carry the private dir away", err)
	}
}

// TestPrivateBaseMustBeThisUsersOwn: a symlink in the base's place is
// refused, not followed; a base others may write is made 0700.
func TestPrivateBaseMustBeThisUsersOwn(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, PrivateBase()); err != nil {
		t.Fatal(err)
	}
	if _, err := MkdirPrivate("output-"); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("a symlink as the base: %v, want it refused", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("a directory was made through the symlink: %v", entries)
	}
	if err := os.Remove(PrivateBase()); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(PrivateBase(), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(PrivateBase(), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := MkdirPrivate("output-"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(PrivateBase()); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the base's mode: %v %v, want 0700", fi.Mode().Perm(), err)
	}
}
