package archive

import (
	"archive/tar"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// TestExtractNeverWritesThroughALinkToTheStateDir: a symlink in dest that
// leads to the state dir inside it (one an earlier archive left, say) is
// not a way in, and an archive may not leave such a link.
func TestExtractNeverWritesThroughALinkToTheStateDir(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "data", "st")
	write(t, e.root, map[string]string{"data/st/report.key": "the-real-key", "data/planted": "->st"})
	fsroot.Protect(st, "state dir")
	archives := map[string][]byte{
		"through.tar.gz": tarGz(t, member{name: "planted/report.key", typ: tar.TypeReg, body: "forged"}),
		"link.tar.gz":    tarGz(t, member{name: "s", typ: tar.TypeSymlink, link: "st"}),
		"deep.tar.gz":    tarGz(t, member{name: "d/", typ: tar.TypeDir}, member{name: "d/s", typ: tar.TypeSymlink, link: "../st/report.key"}),
	}
	for name, data := range archives {
		if err := os.WriteFile(filepath.Join(e.root, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := e.run("archive.extract", map[string]any{"src": name, "dest": "data", "overwrite": true})
		if err == nil || !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "nothing was written") {
			t.Errorf("%s: %v, want it denied with nothing written", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(st, "report.key")); string(b) != "the-real-key" {
		t.Errorf("the key was replaced: %q", b)
	}
	for _, left := range []string{"s", "d"} {
		if _, err := os.Lstat(filepath.Join(e.root, "data", left)); err == nil {
			t.Errorf("data/%s was written", left)
		}
	}
}

// TestExtractReadsALinkFromWhereItReallyStands: a symlink already in dest
// (y -> ., from an earlier archive) moves what a later archive's link
// y/l -> ../st reads as: made through it, l -> ../st stands in dest itself
// and leads to the state dir beside it. The target is followed from the
// link's directory as it is on disk.
func TestExtractReadsALinkFromWhereItReallyStands(t *testing.T) {
	e := newEnv(t)
	write(t, e.root, map[string]string{"data/st/report.key": "the-real-key", "data/elsewhere/x": "outside dest"})
	fsroot.Protect(filepath.Join(e.root, "data", "st"), "state dir")
	extract := func(name string, m ...member) error {
		t.Helper()
		if err := os.WriteFile(filepath.Join(e.root, name), tarGz(t, m...), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := e.run("archive.extract", map[string]any{"src": name, "dest": "data/dest"})
		return err
	}
	if err := extract("dot.tar.gz", member{name: "y", typ: tar.TypeSymlink, link: "."}); err != nil {
		t.Fatal(err)
	}
	err := extract("st.tar.gz", member{name: "y/l", typ: tar.TypeSymlink, link: "../st"})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("y/l -> ../st through y -> .: %v, want it denied with nothing written", err)
	}
	err = extract("out.tar.gz", member{name: "y/m", typ: tar.TypeSymlink, link: "../elsewhere"})
	if err == nil || !strings.Contains(err.Error(), "outside the destination") {
		t.Errorf("y/m -> ../elsewhere through y -> .: %v, want it refused as outside", err)
	}
	for _, left := range []string{"l", "m"} {
		if _, err := os.Lstat(filepath.Join(e.root, "data", "dest", left)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("data/dest/%s was made: %v", left, err)
		}
	}
	// Inside dest from where it really stands, it is made.
	if err := extract("in.tar.gz", member{name: "y/n", typ: tar.TypeSymlink, link: "y"}); err != nil {
		t.Errorf("y/n -> y through y -> .: %v", err)
	}
}
