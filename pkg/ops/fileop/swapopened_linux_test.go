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
