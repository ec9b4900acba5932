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

// TestStateDirIsNeverTouched: a state dir inside the caller's roots (the
// working directory of a role without file_roots, say) holds the key that
// signs console sessions; no file operation reads, lists or writes it,
// also through a symlink.
func TestStateDirIsNeverTouched(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "st")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	e.file("st/session.key", "secret-session-key")
	e.file("notes.txt", "hello")
	if err := os.Symlink(filepath.Join(st, "session.key"), filepath.Join(e.root, "link")); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	for _, tc := range []struct {
		op  string
		raw map[string]any
	}{
		{"file.read", map[string]any{"path": "st/session.key"}},
		{"file.read", map[string]any{"path": filepath.Join(st, "session.key")}},
		{"file.read", map[string]any{"path": "link"}},
		{"file.read", map[string]any{"path": "sub/../st/session.key"}},
		{"file.stat", map[string]any{"path": "st"}},
		{"file.write", map[string]any{"path": "st/session.key", "content": "mine"}},
		{"file.template", map[string]any{"src": "st/session.key", "dest": "out.txt", "check": true}},
		{"file.copy", map[string]any{"src": "link", "dest": "copy.txt"}},
		{"file.find", map[string]any{"path": "st"}},
	} {
		out, err := e.run(tc.op, tc.raw)
		if err == nil {
			t.Errorf("%s %v: %v, want it denied", tc.op, tc.raw, out)
			continue
		}
		if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "state dir") {
			t.Errorf("%s %v: %v, want a denial naming the state dir", tc.op, tc.raw, err)
		}
		if strings.Contains(err.Error(), "secret-session-key") || strings.Contains(fmt.Sprint(out), "secret-session-key") {
			t.Errorf("%s: the key came back: %v %v", tc.op, out, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(st, "session.key")); string(b) != "secret-session-key" {
		t.Errorf("the key was changed: %q", b)
	}
	// A walk over the roots passes the state dir by.
	out, err := e.run("file.find", map[string]any{"path": "."})
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(out["paths"]); strings.Contains(s, "session.key") || !strings.Contains(s, "notes.txt") {
		t.Errorf("find over the root: %s", s)
	}
}

// TestSetuidModesAreDestructive: a mode with the setuid or setgid bit
// makes the op destructive, so a role allowed to write files may not make
// a program that runs as the service's user (root, often) for anyone.
func TestSetuidModesAreDestructive(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		op   string
		raw  map[string]any
		want ops.Risk
	}{
		{"file.chmod", map[string]any{"path": "x", "mode": "4755"}, ops.RiskDestructive},
		{"file.chmod", map[string]any{"path": "x", "mode": "2755"}, ops.RiskDestructive},
		{"file.chmod", map[string]any{"path": "x", "mode": "1777"}, ops.RiskWrite},
		{"file.chmod", map[string]any{"path": "x", "mode": "0755"}, ops.RiskWrite},
		{"file.write", map[string]any{"path": "x", "content": "y", "mode": "4755"}, ops.RiskDestructive},
		{"file.write", map[string]any{"path": "x", "content": "y"}, ops.RiskWrite},
		{"file.mkdir", map[string]any{"path": "x", "mode": "2775"}, ops.RiskDestructive},
		{"file.template", map[string]any{"content": "y", "dest": "x", "mode": "6755"}, ops.RiskDestructive},
		{"file.template", map[string]any{"content": "y", "dest": "x", "mode": "6755", "check": true}, ops.RiskRead},
	} {
		entry, err := e.r.Get(tc.op)
		if err != nil {
			t.Fatal(err)
		}
		p, err := entry.Validate(tc.raw, true)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.op, tc.raw, err)
		}
		if got := entry.RiskFor(p); got != tc.want {
			t.Errorf("%s %v: risk %s, want %s", tc.op, tc.raw, got, tc.want)
		}
	}
}

// TestProtectionHoldsAroundTheEdges: moving a parent away would carry the
// state dir out of its place; a walk leaves protected files out too; a
// state dir not made yet under a symlinked parent, and a dangling link
// into it, are protected as where they lead.
func TestProtectionHoldsAroundTheEdges(t *testing.T) {
	e := newEnv(t)
	data := filepath.Join(e.root, "data")
	if err := os.MkdirAll(filepath.Join(data, "st"), 0o700); err != nil {
		t.Fatal(err)
	}
	e.file("data/st/session.key", "secret-session-key")
	e.file("data/policy.yaml", "version: 1")
	fsroot.Protect(filepath.Join(data, "st"), "state dir")
	fsroot.Protect(filepath.Join(data, "policy.yaml"), "policy file")
	if out, err := e.run("file.move", map[string]any{"src": "data", "dest": "data2"}); err == nil || !errors.Is(err, ops.ErrDenied) {
		t.Errorf("moving the state dir's parent: %v %v, want it denied", out, err)
	}
	out, err := e.run("file.find", map[string]any{"path": "data"})
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(out["paths"]); strings.Contains(s, "policy.yaml") || strings.Contains(s, "session.key") {
		t.Errorf("find over data lists a protected path: %s", s)
	}
	// Not made yet, under a symlinked parent.
	if err := os.Symlink(data, filepath.Join(e.root, "lnk")); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(filepath.Join(e.root, "lnk", "later"), "state dir")
	if err := os.Mkdir(filepath.Join(data, "later"), 0o700); err != nil {
		t.Fatal(err)
	}
	e.file("data/later/report.key", "secret-report-key")
	if out, err := e.run("file.read", map[string]any{"path": "data/later/report.key"}); err == nil {
		t.Errorf("read through the real path of a state dir given through a link: %v", out)
	}
	// A dangling link into the state dir: a file made through it would
	// land there.
	if err := os.Symlink(filepath.Join(data, "st", "planted"), filepath.Join(e.root, "dangling")); err != nil {
		t.Fatal(err)
	}
	if out, err := e.run("file.write", map[string]any{"path": "dangling", "content": "x"}); err == nil {
		t.Errorf("write through a dangling link into the state dir: %v", out)
	}
	if _, err := os.Lstat(filepath.Join(data, "st", "planted")); err == nil {
		t.Error("a file was planted in the state dir")
	}
}

// TestMoveSymlinkToProtectedSaysSymlink: a symlink in the roots that leads
// to the policy file's directory is refused as holding the policy file,
// and the refusal says the path was followed through the symlink and
// where it leads, since the path as written holds nothing of the kind.
func TestMoveSymlinkToProtectedSaysSymlink(t *testing.T) {
	e := newEnv(t)
	pdir := t.TempDir()
	policy := filepath.Join(pdir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1"), 0o600); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(policy, "policy file")
	if err := os.Symlink(pdir, filepath.Join(e.root, "cfg")); err != nil {
		t.Fatal(err)
	}
	out, err := e.run("file.move", map[string]any{"src": "cfg", "dest": "cfg2"})
	if err == nil || !errors.Is(err, ops.ErrDenied) {
		t.Fatalf("moving a symlink to the policy file's directory: %v %v, want it denied", out, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "through a symlink") || !strings.Contains(msg, fsroot.Resolved(pdir)) || !strings.Contains(msg, "policy file") {
		t.Errorf("refusal %q, want it to say the path was followed through a symlink to %s", msg, pdir)
	}
}
