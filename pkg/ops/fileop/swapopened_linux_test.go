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

// TestSymlinkSwappedAfterTheCheckIsRefused: the state dir lies inside the
// roots (the working directory, say), and a user who may write the
// directory of a file swaps it for a symlink to a key there after its
// path was checked. What file.read and file.copy open is judged where it
// really is, and refused; file.write and file.template, which look at the
// name itself, take the symlink for one; none reads or writes the key.
func TestSymlinkSwappedAfterTheCheckIsRefused(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	key := e.file("state/report.key", "secret-report-key")
	fsroot.Protect(st, "state dir")
	victim := filepath.Join(e.root, "victim")
	testHookLocated = func(abs string) {
		if abs != victim {
			return
		}
		if err := os.Remove(victim); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state/report.key", victim); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookLocated = nil })
	for _, tc := range []struct {
		op     string
		raw    map[string]any
		denied bool
	}{
		{"file.read", map[string]any{"path": "victim"}, true},
		{"file.copy", map[string]any{"src": "victim", "dest": "copy"}, true},
		{"file.write", map[string]any{"path": "victim", "content": "mine", "append": true}, false},
		{"file.write", map[string]any{"path": "victim", "content": "secret-report-kez", "check": true}, false},
		{"file.template", map[string]any{"content": "secret-report-kez", "dest": "victim", "check": true}, false},
	} {
		_ = os.Remove(victim)
		e.file("victim", "mine")
		out, err := e.run(tc.op, tc.raw)
		if tc.denied && (!errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "state dir")) {
			t.Errorf("%s %v: %v %v, want it denied for the state dir", tc.op, tc.raw, out, err)
		}
		if strings.Contains(fmt.Sprint(err, out), "secret-report-key") {
			t.Errorf("%s: the key came back: %v %v", tc.op, out, err)
		}
		if b, _ := os.ReadFile(key); string(b) != "secret-report-key" {
			t.Fatalf("%s: the key was changed: %q", tc.op, b)
		}
	}
	if b, err := os.ReadFile(filepath.Join(e.root, "copy")); err == nil {
		t.Errorf("the key was copied: %q", b)
	}
}

// TestParentSwappedAfterTheCheckIsRefused: the state dir lies inside the
// roots, and a user who may write there swaps the directory a file is
// in, after its path was checked, for a symlink to the state dir. What
// file.write, file.template and file.copy replace and file.delete removes is named
// in its directory as opened and judged where it really is, so the key
// there is neither replaced nor removed.
func TestParentSwappedAfterTheCheckIsRefused(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	key := e.file("state/report.key", "secret-report-key")
	fsroot.Protect(st, "state dir")
	e.file("app.conf", "forged")
	d := filepath.Join(e.root, "d")
	testHookLocated = func(abs string) {
		if filepath.Dir(abs) != d {
			return
		}
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state", d); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookLocated = nil })
	for _, tc := range []struct {
		op  string
		raw map[string]any
	}{
		{"file.write", map[string]any{"path": "d/report.key", "content": "forged"}},
		{"file.template", map[string]any{"content": "forged", "dest": "d/report.key"}},
		{"file.delete", map[string]any{"path": "d/report.key"}},
		{"file.delete", map[string]any{"paths": []any{"d/report.key"}}},
		{"file.copy", map[string]any{"src": "app.conf", "dest": "d/report.key", "overwrite": true}},
	} {
		_ = os.Remove(d)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		e.file("d/report.key", "mine")
		out, err := e.run(tc.op, tc.raw)
		if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "state dir") {
			t.Errorf("%s %v: %v %v, want it denied for the state dir", tc.op, tc.raw, out, err)
		}
		if b, err := os.ReadFile(key); err != nil || string(b) != "secret-report-key" {
			t.Fatalf("%s: the key was replaced or removed: %q %v", tc.op, b, err)
		}
	}
}
