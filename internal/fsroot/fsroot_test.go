package fsroot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func TestReadFile(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "ok.yaml"), "fine")
	write(filepath.Join(root, "big.yaml"), strings.Repeat("x", 100))
	write(filepath.Join(outside, "secret"), "root:x:0:0")
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	roots := []string{root}

	b, err := ReadFile(filepath.Join(root, "ok.yaml"), roots, 64)
	if err != nil || string(b) != "fine" {
		t.Errorf("inside the root: %q %v", b, err)
	}
	for name, tc := range map[string]struct {
		path   string
		denied bool
		msg    string
	}{
		"outside":       {filepath.Join(outside, "secret"), true, "outside the allowed roots"},
		"dot-dot":       {filepath.Join(root, "..", "outside", "secret"), true, "outside the allowed roots"},
		"symlink out":   {filepath.Join(root, "link.yaml"), true, "outside the allowed roots"},
		"fifo":          {filepath.Join(root, "fifo.yaml"), false, "not a regular file"},
		"too big":       {filepath.Join(root, "big.yaml"), false, "is 100 bytes, over the limit of 64 bytes"},
		"missing":       {filepath.Join(root, "none.yaml"), false, "no such file"},
		"the root only": {root, false, "not a regular file"},
	} {
		b, err := ReadFile(tc.path, roots, 64)
		if err == nil || errors.Is(err, ops.ErrDenied) != tc.denied || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %q %v, want denied=%v and %q", name, b, err, tc.denied, tc.msg)
		}
		if err != nil && strings.Contains(err.Error(), "root:x") {
			t.Errorf("%s: the error shows the file's content: %v", name, err)
		}
	}
	if _, err := ReadFile(filepath.Join(root, "ok.yaml"), []string{}, 64); !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "allows no file access") {
		t.Errorf("no roots: %v", err)
	}
}

// TestReadFileJudgesWhereTheOpenLed: a file swapped, after its path was
// checked, for a symlink to a key in a protected dir inside the root (a
// template's src, an env_file) is refused, not read.
func TestReadFileJudgesWhereTheOpenLed(t *testing.T) {
	if _, err := os.Readlink("/proc/self/fd/0"); err != nil {
		t.Skip("no /proc/self/fd here")
	}
	dir := t.TempDir()
	st := filepath.Join(dir, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(st, "report.key"), []byte("secret-report-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	withProtected(t, st)
	src := filepath.Join(dir, "app.tmpl")
	if err := os.WriteFile(src, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	testHookLocated = func() {
		if err := os.Remove(src); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state/report.key", src); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookLocated = nil })
	b, err := ReadFile(src, []string{dir}, 1<<20)
	if !errors.Is(err, ops.ErrDenied) || strings.Contains(string(b), "secret") {
		t.Errorf("ReadFile of a file swapped for a symlink to the key: %q %v, want a denial", b, err)
	}
}
