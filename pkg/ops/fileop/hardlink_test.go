package fileop

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestHardLinkToProtectedFileIsRefused: a hard link inside the caller's
// roots to a protected file (a key in the state dir, a keys file) names
// the same file under a path the path checks allow; file.read, file.write
// (its check, its append) and file.template's check judge the file as
// opened, and refuse it. A file of two names that is not protected is
// read as before.
func TestHardLinkToProtectedFileIsRefused(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	e.file(filepath.Join(st, "report.key"), "secret-report-key")
	keys := e.file(filepath.Join(filepath.Dir(st), "keys.yaml"), "secret-keys-file")
	fsroot.Protect(st, "state dir")
	fsroot.Protect(keys, "keys file")
	for link, target := range map[string]string{"rk": filepath.Join(st, "report.key"), "kf": keys} {
		if err := os.Link(target, filepath.Join(e.root, link)); err != nil {
			t.Skipf("no hard links here: %v", err)
		}
	}
	for _, tc := range []struct {
		op, what string
		raw      map[string]any
	}{
		{"file.read", "state dir", map[string]any{"path": "rk"}},
		{"file.read", "keys file", map[string]any{"path": "kf"}},
		{"file.write", "state dir", map[string]any{"path": "rk", "content": "x", "check": true}},
		{"file.write", "keys file", map[string]any{"path": "kf", "content": "secret-keys-file"}},
		{"file.write", "keys file", map[string]any{"path": "kf", "content": "mine", "append": true}},
		{"file.template", "state dir", map[string]any{"content": "x", "dest": "rk", "check": true}},
	} {
		out, err := e.run(tc.op, tc.raw)
		if err == nil {
			t.Errorf("%s %v: %v, want it denied", tc.op, tc.raw, out)
			continue
		}
		if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "hard link") || !strings.Contains(err.Error(), tc.what) {
			t.Errorf("%s %v: %v, want a denial naming the hard link and the %s", tc.op, tc.raw, err, tc.what)
		}
		if strings.Contains(err.Error()+fmt.Sprint(out), "secret-") {
			t.Errorf("%s: the protected content came back: %v %v", tc.op, out, err)
		}
	}
	if b, _ := os.ReadFile(keys); string(b) != "secret-keys-file" {
		t.Errorf("the keys file was changed: %q", b)
	}
	e.file("plain.txt", "hello")
	if err := os.Link(filepath.Join(e.root, "plain.txt"), filepath.Join(e.root, "plain2.txt")); err != nil {
		t.Fatal(err)
	}
	if out, err := e.run("file.read", map[string]any{"path": "plain2.txt"}); err != nil || out["content"] != "hello" {
		t.Errorf("a file of two names, not protected: %v %v", out, err)
	}
}
