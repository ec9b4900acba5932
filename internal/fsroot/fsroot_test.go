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
