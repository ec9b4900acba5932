package plugin_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestUpperCaseExtensionLoaded: greet.YAML and hi.Yml are manifests, as a
// user who saved them so expects, not files silently passed over.
func TestUpperCaseExtensionLoaded(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "hi.prog", "#!/bin/sh\nread -r line\necho '{\"hi\": true}'\n", 0o755)
	write(t, dir, "hi.YAML", "version: 1\nname: acme.hi\ncategory: acme\ndescription: Say hi.\nrisk: read\ncommand: [./hi.prog]\n", 0o644)
	write(t, dir, "ho.Yml", "version: 1\nname: acme.ho\ncategory: acme\ndescription: Say ho.\nrisk: read\ncommand: [./hi.prog]\n", 0o644)
	write(t, dir, "notes.txt", "not a manifest", 0o644)
	// An editor's lock while hi.YAML is open: a link to nowhere.
	if err := os.Symlink("root@host.1234:1700000000", filepath.Join(dir, ".#hi.YAML")); err != nil {
		t.Fatal(err)
	}
	files, err := plugin.Manifests(dir)
	if err != nil || len(files) != 2 {
		t.Fatalf("Manifests = %v, %v; want hi.YAML and ho.Yml", files, err)
	}
	r := registry(t, dir, plugin.Options{})
	for _, name := range []string{"acme.hi", "acme.ho"} {
		if _, err := r.Get(name); err != nil {
			t.Errorf("%s not loaded: %v", name, err)
		}
	}
}

// TestFIFOManifestRefused: a named pipe called like a manifest is refused
// with its name, not opened to wait for a writer that never comes.
func TestFIFOManifestRefused(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	err := plugin.Load(dir, ops.NewRegistry(), plugin.Options{})
	if err == nil || !strings.Contains(err.Error(), "pipe.yaml") || !strings.Contains(err.Error(), "named pipe") {
		t.Fatalf("Load = %v; want the FIFO refused by name", err)
	}
}

// TestUnreadableDirNamed: a plugin directory that cannot be listed is an
// error naming it and what to do, not a directory without plugins.
func TestUnreadableDirNamed(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory")
	}
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	err := plugin.Load(dir, ops.NewRegistry(), plugin.Options{})
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "chmod") {
		t.Fatalf("Load = %v; want the directory named, with what to do", err)
	}
}

// TestPlaybookInPluginDir: a playbook saved beside the plugin it uses is
// told to be one, at its steps, not read as a manifest missing five keys.
func TestPlaybookInPluginDir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pb.yaml", "version: 1\nname: t\nsteps:\n  - {id: a, op: acme.hi}\n", 0o644)
	_, got := loadDiags(t, dir)
	if len(got) != 1 || !strings.HasPrefix(got[0], "pb.yaml:3:1: this is a playbook (steps), not a plugin manifest") ||
		!strings.Contains(got[0], "move it out of "+dir) {
		t.Fatalf("diagnostics = %q; want one at pb.yaml:3:1 saying it is a playbook and to move it out of %s", got, dir)
	}
}
