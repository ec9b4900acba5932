package fsroot

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// countLstat counts the lstat calls on paths in dir (or dir itself)
// until the test ends.
func countLstat(t *testing.T, dir string) *int {
	n := new(int)
	was := lstat
	lstat = func(p string) (fs.FileInfo, error) {
		if p == dir || strings.HasPrefix(p, dir+string(filepath.Separator)) {
			*n++
		}
		return was(p)
	}
	t.Cleanup(func() { lstat = was })
	return n
}

// sshFiles are the files a run protects in ~/.ssh: known_hosts and the
// default keys with their certificates.
func sshFiles(home string) []string {
	out := []string{filepath.Join(home, ".ssh", "known_hosts")}
	for _, k := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		out = append(out, filepath.Join(home, ".ssh", k), filepath.Join(home, ".ssh", k+"-cert.pub"))
	}
	return out
}

// TestGuardLooksAtAMissingDirOnce: with no ~/.ssh, every file operation
// (and the load of the playbook itself) looked up ~/.ssh once per key
// and known_hosts file protected in it, seven times, to learn that it was
// still missing. Once per check is enough.
func TestGuardLooksAtAMissingDirOnce(t *testing.T) {
	home := t.TempDir()
	withProtected(t)
	for _, f := range sshFiles(home) {
		Protect(f, "SSH key")
	}
	n := countLstat(t, filepath.Join(home, ".ssh"))
	if err := Guard(filepath.Join(home, "notes.txt")); err != nil {
		t.Fatal(err)
	}
	if *n > 1 {
		t.Errorf("Guard looked up the missing ~/.ssh %d times; want at most once", *n)
	}
	// Still refused, and still moved with a symlink made since.
	if err := Guard(filepath.Join(home, ".ssh", "id_rsa")); err == nil {
		t.Error("Guard allowed a protected key")
	}
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(home, ".ssh")); err != nil {
		t.Fatal(err)
	}
	if err := Guard(filepath.Join(elsewhere, "known_hosts")); err == nil {
		t.Error("Guard allowed known_hosts reached through a symlink made since")
	}
}

// TestProtectAllLooksAtADirOnce: protecting the files of a missing
// ~/.ssh looks it up a couple of times, not once or more per file.
func TestProtectAllLooksAtADirOnce(t *testing.T) {
	home := t.TempDir()
	withProtected(t)
	n := countLstat(t, filepath.Join(home, ".ssh"))
	var ps []Protection
	for _, f := range sshFiles(home) {
		ps = append(ps, Protection{Path: f, What: "SSH key"})
	}
	ProtectAll(ps)
	if *n > 2 {
		t.Errorf("ProtectAll looked up the missing ~/.ssh %d times; want at most twice", *n)
	}
}

// TestProtectAllAsProtect: ProtectAll protects each path in the forms
// Protect does, for a directory reached through a symlink, a missing
// directory, a file that exists, one that does not, and a symlinked
// file.
func TestProtectAllAsProtect(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	other := filepath.Join(root, "other")
	for _, d := range []string{real, other} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(real, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "id_rsa"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "key"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "key"), filepath.Join(real, "id_ed25519")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "gone"), filepath.Join(real, "dangling")); err != nil {
		t.Fatal(err)
	}
	paths := []string{
		filepath.Join(root, "link", "id_rsa"),
		filepath.Join(root, "link", "id_rsa-cert.pub"),
		filepath.Join(root, "link", "id_ed25519"),
		filepath.Join(root, "link", "dangling"),
		filepath.Join(root, "link", "known_hosts"),
		filepath.Join(root, "missing", "deeper", "id_rsa"),
		filepath.Join(root, "missing", "deeper", "known_hosts"),
		filepath.Join(root, "link", "id_rsa"), // twice
	}
	withProtected(t)
	for _, p := range paths {
		Protect(p, "SSH key")
	}
	want := protectedPaths()
	withProtected(t)
	var ps []Protection
	for _, p := range paths {
		ps = append(ps, Protection{Path: p, What: "SSH key"})
	}
	ProtectAll(ps)
	got := protectedPaths()
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(protectedPath{})); diff != "" {
		t.Errorf("ProtectAll (-Protect +ProtectAll):\n%s", diff)
	}
}
