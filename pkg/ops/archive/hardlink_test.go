package archive

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestCreateRefusesAHardLinkToAProtectedFile: a hard link in the tree to
// a protected file (a key in the state dir) would put the key in an
// archive that archive.extract or file.read then gives back; it is
// refused and no archive is written.
func TestCreateRefusesAHardLinkToAProtectedFile(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(t.TempDir(), "state")
	write(t, st, map[string]string{"report.key": "secret-report-key"})
	fsroot.Protect(st, "state dir")
	write(t, e.root, map[string]string{"data/notes.txt": "hello"})
	if err := os.Link(filepath.Join(st, "report.key"), filepath.Join(e.root, "data", "rk")); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	for _, src := range []string{"data", "data/rk"} {
		_, err := e.run("archive.create", map[string]any{"src": src, "dest": "out.tar.gz"})
		if err == nil || !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "hard link") {
			t.Errorf("archive.create of %s: %v, want a denial naming the hard link", src, err)
		}
		if _, err := os.Lstat(filepath.Join(e.root, "out.tar.gz")); err == nil {
			t.Fatalf("archive.create of %s wrote an archive", src)
		}
	}
}
