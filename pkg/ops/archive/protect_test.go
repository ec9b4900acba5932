package archive

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestExtractNeverLandsInTheStateDir: an archive extracted above the
// state dir cannot replace the session key in it; archive.create of a
// tree that holds it leaves it out.
func TestExtractNeverLandsInTheStateDir(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "data", "st")
	write(t, e.root, map[string]string{"data/st/session.key": "secret-session-key", "data/notes.txt": "hello"})
	fsroot.Protect(st, "state dir")
	if err := os.WriteFile(filepath.Join(e.root, "a.tar.gz"), tarGz(t, member{name: "st/session.key", typ: tar.TypeReg, body: "forged"}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.run("archive.extract", map[string]any{"src": "a.tar.gz", "dest": "data", "overwrite": true})
	if err == nil || !errors.Is(err, ops.ErrDenied) {
		t.Errorf("extracting into the state dir: %v, want it denied", err)
	}
	if b, _ := os.ReadFile(filepath.Join(st, "session.key")); string(b) != "secret-session-key" {
		t.Errorf("the key was replaced: %q", b)
	}
	if _, err := e.run("archive.create", map[string]any{"src": "data", "dest": "data.tar.gz"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "x")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t)
	if err := os.Rename(filepath.Join(e.root, "data.tar.gz"), filepath.Join(e2.root, "data.tar.gz")); err != nil {
		t.Fatal(err)
	}
	if _, err := e2.run("archive.extract", map[string]any{"src": "data.tar.gz", "dest": "x"}); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, filepath.Join(e2.root, "x"))
	if _, ok := got["st/session.key"]; ok {
		t.Errorf("the archive holds the state dir: %v", got)
	}
	if _, ok := got["notes.txt"]; !ok {
		t.Errorf("the archive lost the rest: %v", got)
	}
}
