package fileop

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestHardLinkToProtectedFileIsNotCopiedNorChanged: file.copy of a hard
// link to a protected file would make a copy of one name that file.read
// then reads; file.chmod and file.chown of it would change the protected
// file's own mode and owner. Each is refused; a file of two names that is
// not protected is copied and changed as before.
func TestHardLinkToProtectedFileIsNotCopiedNorChanged(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	key := e.file(filepath.Join(st, "report.key"), "secret-report-key")
	fsroot.Protect(st, "state dir")
	if err := os.Link(key, filepath.Join(e.root, "rk")); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	for _, tc := range []struct {
		op  string
		raw map[string]any
	}{
		{"file.copy", map[string]any{"src": "rk", "dest": "stolen"}},
		{"file.chmod", map[string]any{"path": "rk", "mode": "0666"}},
		{"file.chown", map[string]any{"path": "rk", "group": os.Getegid()}},
	} {
		out, err := e.run(tc.op, tc.raw)
		if err == nil || !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "hard link") {
			t.Errorf("%s %v: %v %v, want a denial naming the hard link", tc.op, tc.raw, out, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(e.root, "stolen")); err == nil {
		t.Error("file.copy made a copy of the protected file")
	}
	if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o640 {
		t.Errorf("the protected file's mode was changed: %v", fi.Mode())
	}
	e.file("plain.txt", "hello")
	if err := os.Link(filepath.Join(e.root, "plain.txt"), filepath.Join(e.root, "plain2.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("file.copy", map[string]any{"src": "plain2.txt", "dest": "plain3.txt"}); err != nil {
		t.Errorf("copying a file of two names, not protected: %v", err)
	}
	if _, err := e.run("file.chmod", map[string]any{"path": "plain2.txt", "mode": "0600"}); err != nil {
		t.Errorf("chmod of a file of two names, not protected: %v", err)
	}
}
