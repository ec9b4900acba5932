package plugin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestLoadRefusesWhatAnotherUserCouldSwap: a plugin runs its program as
// the user of the run (the daemon's, for serve and schedule), so a
// manifest or a program that every user may write, or that sits in a
// directory every user may write (no sticky bit), would let any of them
// run what they like as that user: each is refused at load, with the
// chmod that fixes it.
func TestLoadRefusesWhatAnotherUserCouldSwap(t *testing.T) {
	load := func(dir string) string {
		t.Helper()
		err := plugin.Load(dir, ops.NewRegistry(), plugin.Options{})
		if err == nil {
			return ""
		}
		return err.Error()
	}
	manifest := "version: 1\nname: acme.hi\ncategory: acme\ndescription: Say hi.\nrisk: read\ncommand: [%s]\n"

	open := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, open, "hi.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	m := write(t, open, "hi.yaml", strings.Replace(manifest, "%s", "./hi.prog", 1), 0o644)
	if msg := load(open); msg != "" {
		t.Fatalf("a plugin directory of mode 0755: %s", msg)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	// The directory itself is refused first: anyone could add a manifest.
	if msg := load(open); !strings.Contains(msg, "the plugin directory's mode 0777 lets every user of this host write it") ||
		!strings.Contains(msg, "chmod go-w "+open) {
		t.Fatalf("a plugin directory of mode 0777: %s", msg)
	}
	// A manifest there, named alone, is judged by its directory too.
	if _, err := plugin.ReadManifest(m); err == nil || !strings.Contains(err.Error(), m+": the manifest is in "+open+", a directory every user of this host may write (mode 0777)") ||
		!strings.Contains(err.Error(), "chmod o-w "+open) {
		t.Fatalf("a manifest in a directory of mode 0777: %v", err)
	}

	// The program elsewhere: in a directory every user may write, or
	// writable by every user itself.
	dir, bin := t.TempDir(), filepath.Join(open, "bin")
	prog := write(t, open, "other.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	m = write(t, dir, "hi.yaml", strings.Replace(manifest, "%s", prog, 1), 0o644)
	if msg := load(dir); !strings.Contains(msg, m+":6:11: program "+prog+" is in "+open+", a directory every user of this host may write") {
		t.Fatalf("a program in a directory of mode 0777: %s", msg)
	}
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	prog = write(t, bin, "hi.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(prog, 0o777); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "hi.yaml", strings.Replace(manifest, "%s", prog, 1), 0o644)
	if msg := load(dir); !strings.Contains(msg, "program "+prog+": its mode 0777 lets every user of this host rewrite it") || !strings.Contains(msg, "chmod go-w "+prog) {
		t.Fatalf("a program of mode 0777: %s", msg)
	}
}

// TestLoadRefusesWhatAGroupMayWrite: a plugin directory, manifest or
// program that a group (5000, no user's private group) may write lets its
// members choose what runs as the user of each run: each is refused,
// naming the mode and the chmod that fixes it.
func TestLoadRefusesWhatAGroupMayWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to another group")
	}
	load := func(dir string) string {
		t.Helper()
		err := plugin.Load(dir, ops.NewRegistry(), plugin.Options{})
		if err == nil {
			return ""
		}
		return err.Error()
	}
	give := func(p string, mode os.FileMode, gid int) {
		t.Helper()
		if err := os.Chown(p, 0, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	prog := write(t, dir, "hi.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	m := write(t, dir, "hi.yaml", "version: 1\nname: acme.hi\ncategory: acme\ndescription: Say hi.\nrisk: read\ncommand: [./hi.prog]\n", 0o644)
	give(prog, 0o775, 0)
	if msg := load(dir); msg != "" {
		t.Fatalf("a program root's group may write: %s", msg)
	}
	give(prog, 0o775, 5000)
	if msg := load(dir); !strings.Contains(msg, m+":6:11: program "+prog+": the program's mode 0775 lets the members of group 5000 write it") || !strings.Contains(msg, "chmod g-w "+prog) {
		t.Errorf("a program group 5000 may write: %s", msg)
	}
	give(prog, 0o755, 0)
	give(m, 0o664, 5000)
	if msg := load(dir); !strings.Contains(msg, m+": the manifest's mode 0664 lets the members of group 5000 write it") || !strings.Contains(msg, "chmod g-w "+m) {
		t.Errorf("a manifest group 5000 may write: %s", msg)
	}
	give(m, 0o644, 0)
	give(dir, 0o775, 5000)
	if msg := load(dir); !strings.Contains(msg, "the plugin directory's mode 0775 lets the members of group 5000 write it") || !strings.Contains(msg, "chmod g-w "+dir) {
		t.Errorf("a plugin directory group 5000 may write: %s", msg)
	}
}

// TestLoadRefusesWhatAnotherUserOwns: a plugin directory, manifest or
// program owned by another user of the host (uid 1001), or a program in
// a directory of theirs, even of mode 0755, lets that user choose what
// runs as the user of each run (root's, for a daemon of root's): each is
// refused at load, naming the owner and the chown that fixes it, as sudo
// and sshd refuse a file they trust that another user owns.
func TestLoadRefusesWhatAnotherUserOwns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another user")
	}
	const other = 1001
	chown := func(p string) {
		t.Helper()
		if err := os.Chown(p, other, other); err != nil {
			t.Fatal(err)
		}
	}
	load := func(dir string) string {
		t.Helper()
		err := plugin.Load(dir, ops.NewRegistry(), plugin.Options{})
		if err == nil {
			return ""
		}
		return err.Error()
	}
	manifest := "version: 1\nname: acme.hi\ncategory: acme\ndescription: Say hi.\nrisk: read\ncommand: [%s]\n"
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	prog := write(t, dir, "hi.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	m := write(t, dir, "hi.yaml", strings.Replace(manifest, "%s", "./hi.prog", 1), 0o644)
	if msg := load(dir); msg != "" {
		t.Fatalf("root's plugin: %s", msg)
	}

	chown(prog)
	if msg := load(dir); !strings.Contains(msg, m+":6:11: program "+prog+": the program is owned by user 1001") ||
		!strings.Contains(msg, "run what they like as the user of each run") || !strings.Contains(msg, "chown root "+prog) {
		t.Errorf("a program of user 1001's: %s", msg)
	}
	if err := os.Chown(prog, 0, 0); err != nil {
		t.Fatal(err)
	}
	chown(m)
	if msg := load(dir); !strings.Contains(msg, m+": the manifest is owned by user 1001") || !strings.Contains(msg, "chown root "+m) {
		t.Errorf("a manifest of user 1001's: %s", msg)
	}
	if err := os.Chown(m, 0, 0); err != nil {
		t.Fatal(err)
	}
	chown(dir)
	if msg := load(dir); !strings.Contains(msg, "the plugin directory is owned by user 1001") {
		t.Errorf("a plugin directory of user 1001's: %s", msg)
	}
	if err := os.Chown(dir, 0, 0); err != nil {
		t.Fatal(err)
	}

	// A program of root's in a directory of user 1001's (mode 0755): they
	// may rename a program of their own over it.
	theirs := filepath.Join(t.TempDir(), "alice")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	chown(theirs)
	prog = write(t, theirs, "hi.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "hi.yaml", strings.Replace(manifest, "%s", prog, 1), 0o644)
	if msg := load(dir); !strings.Contains(msg, "program "+prog+" is in "+theirs+", a directory owned by user 1001") ||
		!strings.Contains(msg, "who can rename a file of their own over "+prog) {
		t.Errorf("a program in a directory of user 1001's: %s", msg)
	}
}
