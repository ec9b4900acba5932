package fileop

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// ownerOf is the owner and group of p.
func ownerOf(t *testing.T, p string) (uint32, uint32) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Uid, st.Gid
}

// giveAway makes p belong to nobody (65534), which only root may do.
func giveAway(t *testing.T, p string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: giving a file to another user is not possible")
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}

// TestReplacedFileKeepsItsOwner: a file that file.write or file.template
// replaces as root keeps its owner and group, so a 0640 config stays
// readable by the service that owns it; a mode asked for is applied
// whole after the owner, setuid included.
func TestReplacedFileKeepsItsOwner(t *testing.T) {
	e := newEnv(t)
	steps := []struct {
		op   string
		raw  map[string]any
		path string
		want fs.FileMode
	}{
		{"file.write", map[string]any{"path": "app.conf", "content": "new\n"}, "app.conf", 0o640},
		{"file.template", map[string]any{"content": "port 80\n", "dest": "site.conf"}, "site.conf", 0o640},
		{"file.template", map[string]any{"content": "run\n", "dest": "tool", "mode": "4750"}, "tool", fs.ModeSetuid | 0o750},
	}
	for _, s := range steps {
		p := e.file(s.path, "old\n")
		giveAway(t, p)
		if _, err := e.run(s.op, s.raw); err != nil {
			t.Fatalf("%s %v: %v", s.op, s.raw, err)
		}
		if uid, gid := ownerOf(t, p); uid != 65534 || gid != 65534 {
			t.Errorf("%s %v: owner %d:%d, want 65534:65534", s.op, s.raw, uid, gid)
		}
		if got := modeOn(t, p); got != s.want {
			t.Errorf("%s %v: mode %v, want %v", s.op, s.raw, got, s.want)
		}
	}
	// A new file is the caller's.
	if _, err := e.run("file.write", map[string]any{"path": "fresh", "content": "x"}); err != nil {
		t.Fatal(err)
	}
	if uid, _ := ownerOf(t, filepath.Join(e.root, "fresh")); uid != 0 {
		t.Errorf("a new file belongs to %d, want the caller", uid)
	}
}

// TestRotatedGenerationsKeepTheirOwner: as root, every generation a
// rotation makes belongs to whom the log did: the new empty log, the .1
// a copytruncate copies, and each generation compress gzips.
func TestRotatedGenerationsKeepTheirOwner(t *testing.T) {
	e := newEnv(t)
	log := e.file("app.log", "one\n")
	giveAway(t, log)
	raw := map[string]any{"path": "app.log", "compress": true}
	if _, err := e.run("file.rotate", raw); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, []byte("two\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	raw["copytruncate"] = true
	if _, err := e.run("file.rotate", raw); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app.log", "app.log.1", "app.log.2.gz"} {
		p := filepath.Join(e.root, name)
		if uid, gid := ownerOf(t, p); uid != 65534 || gid != 65534 {
			t.Errorf("%s: owner %d:%d, want 65534:65534", name, uid, gid)
		}
		if got := modeOn(t, p); got != 0o640 {
			t.Errorf("%s: mode %v, want 0640", name, got)
		}
	}
	if got := content(t, filepath.Join(e.root, "app.log.2.gz")); got != "one\n" {
		t.Errorf("app.log.2.gz holds %q", got)
	}
}

// TestCopyOverAFileKeepsItsOwner: file.copy with overwrite, run as root,
// leaves the replaced file's owner and group on the copy, so a service's
// 0640 config stays readable by the service; the mode is the source's.
func TestCopyOverAFileKeepsItsOwner(t *testing.T) {
	e := newEnv(t)
	dest := e.file("app.conf", "old\n")
	giveAway(t, dest)
	src := e.file("app.conf.new", "new\n")
	if err := os.Chmod(src, 0o640); err != nil {
		t.Fatal(err)
	}
	raw := map[string]any{"src": "app.conf.new", "dest": "app.conf", "overwrite": true}
	if _, err := e.run("file.copy", raw); err != nil {
		t.Fatal(err)
	}
	if uid, gid := ownerOf(t, dest); uid != 65534 || gid != 65534 {
		t.Errorf("copy over a file of 65534: owner %d:%d, want 65534:65534", uid, gid)
	}
	if got := modeOn(t, dest); got != 0o640 {
		t.Errorf("mode %v, want the source's 0640", got)
	}
	if got := content(t, dest); got != "new\n" {
		t.Errorf("dest holds %q", got)
	}
	// A new copy is the caller's.
	if _, err := e.run("file.copy", map[string]any{"src": "app.conf.new", "dest": "fresh"}); err != nil {
		t.Fatal(err)
	}
	if uid, _ := ownerOf(t, filepath.Join(e.root, "fresh")); uid != 0 {
		t.Errorf("a new copy belongs to %d, want the caller", uid)
	}
}
