package fileop

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// modeOn is the mode of p as a mode param sets it: permissions, setuid,
// setgid and sticky.
func modeOn(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode() & modeBits
}

// TestWriteAndTemplateApplySpecialModes: a mode with setuid, setgid or
// sticky is applied whole, as file.chmod applies it; without a mode a
// replaced file keeps only its permission bits.
func TestWriteAndTemplateApplySpecialModes(t *testing.T) {
	e := newEnv(t)
	steps := []struct {
		op   string
		raw  map[string]any
		path string
		want fs.FileMode
	}{
		{"file.write", map[string]any{"path": "suid", "content": "a", "mode": "4755"}, "suid", fs.ModeSetuid | 0o755},
		{"file.write", map[string]any{"path": "sgid", "content": "a", "mode": "02750"}, "sgid", fs.ModeSetgid | 0o750},
		{"file.write", map[string]any{"path": "suid", "content": "b"}, "suid", 0o755},
		{"file.write", map[string]any{"path": "log", "content": "1\n", "mode": "4750", "append": true}, "log", fs.ModeSetuid | 0o750},
		{"file.write", map[string]any{"path": "log", "content": "2\n", "mode": "0600", "append": true}, "log", fs.ModeSetuid | 0o750},
		{"file.template", map[string]any{"content": "t", "dest": "tpl", "mode": "6755"}, "tpl", fs.ModeSetuid | fs.ModeSetgid | 0o755},
		{"file.template", map[string]any{"content": "u", "dest": "tpl"}, "tpl", 0o755},
	}
	for _, s := range steps {
		if _, err := e.run(s.op, s.raw); err != nil {
			t.Errorf("%s %v: %v", s.op, s.raw, err)
			continue
		}
		if got := modeOn(t, filepath.Join(e.root, s.path)); got != s.want {
			t.Errorf("%s %v: mode %v, want %v", s.op, s.raw, got, s.want)
		}
	}
	if read(t, filepath.Join(e.root, "log")) != "1\n2\n" {
		t.Errorf("appended: %q", read(t, filepath.Join(e.root, "log")))
	}
}

// TestTemplateSpecialModeChanges: a setuid mode already on the file is no
// change, and neither are the special bits alone when no mode is given.
func TestTemplateSpecialModeChanges(t *testing.T) {
	e := newEnv(t)
	for i, s := range []struct {
		mode    string
		changed bool
		want    fs.FileMode
	}{
		{"4755", true, fs.ModeSetuid | 0o755},
		{"4755", false, fs.ModeSetuid | 0o755},
		{"", false, fs.ModeSetuid | 0o755},
		{"0755", true, 0o755},
	} {
		raw := map[string]any{"content": "same", "dest": "tpl"}
		if s.mode != "" {
			raw["mode"] = s.mode
		}
		out, err := e.run("file.template", raw)
		if err != nil {
			t.Fatal(err)
		}
		if out["changed"] != s.changed {
			t.Errorf("step %d, mode %q: changed %v, want %v", i, s.mode, out["changed"], s.changed)
		}
		if got := modeOn(t, filepath.Join(e.root, "tpl")); got != s.want {
			t.Errorf("step %d, mode %q: mode %v, want %v", i, s.mode, got, s.want)
		}
	}
}

// TestCopyDropsSpecialBits: the copy belongs to whoever runs the step, so
// setuid, setgid and sticky stay with the original.
func TestCopyDropsSpecialBits(t *testing.T) {
	e := newEnv(t)
	p := e.file("prog", "#!/bin/sh\n")
	if err := os.Chmod(p, fs.ModeSetuid|fs.ModeSetgid|0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("file.copy", map[string]any{"src": "prog", "dest": "copy"}); err != nil {
		t.Fatal(err)
	}
	if got := modeOn(t, filepath.Join(e.root, "copy")); got != 0o755 {
		t.Errorf("copy: mode %v, want 0755", got)
	}
}
