package fileop

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// TestChmodChownChangeTheFileTheyJudged: a user who may write the
// directory swaps the name file.chmod or file.chown judged, between the
// check and the change, for a hard link to a key in the state dir or a
// symlink to it; the change lands on the file judged, never on the key.
func TestChmodChownChangeTheFileTheyJudged(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(st, "report.key")
	if err := os.WriteFile(key, []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	swaps := map[string]func(name string) error{
		"hard link": func(name string) error { return os.Link(key, name) },
		"symlink":   func(name string) error { return os.Symlink("state/report.key", name) },
	}
	for how, swap := range swaps {
		victim := filepath.Join(e.root, "victim")
		_ = os.Remove(victim)
		e.file("victim", "mine")
		if err := os.Chmod(victim, 0o600); err != nil {
			t.Fatal(err)
		}
		testHookJudged = func() {
			if err := os.Remove(victim); err != nil {
				t.Fatal(err)
			}
			if err := swap(victim); err != nil {
				t.Skipf("no %s here: %v", how, err)
			}
		}
		out, err := e.run("file.chmod", map[string]any{"path": "victim", "mode": "0644"})
		testHookJudged = nil
		if err != nil || out["changed"] != true {
			t.Errorf("chmod, %s swapped in: %v %v", how, out, err)
		}
		if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("chmod, %s swapped in: the key is now %v (%v), want 0600", how, fi.Mode(), err)
		}
	}
	if os.Geteuid() != 0 {
		t.Log("chown needs root to give a file away; chmod only")
		return
	}
	for how, swap := range swaps {
		victim := filepath.Join(e.root, "victim")
		_ = os.Remove(victim)
		e.file("victim", "mine")
		testHookJudged = func() {
			if err := os.Remove(victim); err != nil {
				t.Fatal(err)
			}
			if err := swap(victim); err != nil {
				t.Fatal(err)
			}
		}
		out, err := e.run("file.chown", map[string]any{"path": "victim", "owner": 1001})
		testHookJudged = nil
		if err != nil || out["changed"] != true {
			t.Errorf("chown, %s swapped in: %v %v", how, out, err)
		}
		fi, err := os.Stat(key)
		if err != nil || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
			t.Errorf("chown, %s swapped in: the key is now owned by %v (%v)", how, fi.Sys().(*syscall.Stat_t).Uid, err)
		}
	}
}

// TestChmodThroughPinnedFile: pinned by O_PATH, a symlink inside the root
// is still followed to its target (a chain of them too), a file of mode
// 0000 and a directory its owner may not list still have their mode set,
// and a symlink whose target leaves the root through ".." is refused.
func TestChmodThroughPinnedFile(t *testing.T) {
	e := newEnv(t)
	target := e.file("sub/target", "x")
	for name, to := range map[string]string{"l1": "sub/target", "l2": "l1", "up": "../outside/x"} {
		if err := os.Symlink(to, filepath.Join(e.root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.run("file.chmod", map[string]any{"path": "l2", "mode": "0604"}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o604 {
		t.Errorf("through two symlinks: the target is %v, want 0604", fi.Mode())
	}
	if _, err := e.run("file.chmod", map[string]any{"path": "up", "mode": "0604"}); err == nil {
		t.Error("a symlink out of the root through .. was followed")
	}
	none := e.file("none", "x")
	if err := os.Chmod(none, 0); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(e.root, "shut")
	if err := os.Mkdir(dir, 0o300); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{none: 0o640, dir: 0o750} {
		if out, err := e.run("file.chmod", map[string]any{"path": path, "mode": "0" + strconv.FormatUint(uint64(want), 8)}); err != nil || out["changed"] != true {
			t.Errorf("%s: %v %v", path, out, err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", path, fi.Mode(), want)
		}
	}
}

// TestMkdirSetsTheModeOfTheDirectoryItMade: the directory file.mkdir made,
// swapped for a symlink to the state dir before its mode is set, is not
// followed: the state dir keeps its mode.
func TestMkdirSetsTheModeOfTheDirectoryItMade(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	made := filepath.Join(e.root, "releases")
	testHookMade = func() {
		if err := os.Remove(made); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state", made); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookMade = nil })
	out, err := e.run("file.mkdir", map[string]any{"path": "releases", "mode": "0777"})
	if err == nil || !strings.Contains(err.Error(), "state dir") {
		t.Errorf("mkdir, its directory swapped for a symlink: %v %v, want it refused", out, err)
	}
	if fi, err := os.Stat(st); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the state dir is now %v (%v), want 0700", fi.Mode(), err)
	}
}
