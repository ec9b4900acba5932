//go:build unix

package fsx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// accounts points trustedGroup at account files of the test's own: alice
// (4242) has a private group (4242); team (5000) is bob's primary group
// and lists alice; solo (6000) lists alice alone; empty (7000) has no
// one; 8000 is no group at all.
func accounts(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	group := filepath.Join(dir, "group")
	if err := os.WriteFile(passwd, []byte("root:x:0:0:root:/root:/bin/sh\nalice:x:4242:4242::/home/alice:/bin/sh\nbob:x:4343:5000::/home/bob:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(group, []byte("root:x:0:\n# a comment\nalice:x:4242:\nteam:x:5000:alice\nsolo:x:6000:alice\nempty:x:7000:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oldP, oldG := passwdFile, groupFile
	passwdFile, groupFile = passwd, group
	t.Cleanup(func() { passwdFile, groupFile = oldP, oldG })
}

// TestTrustedGroupIsRootsOrTheOwnersAlone: the group that may write a
// file without that being refused is root's, or one whose one member is
// the file's owner (a user private group), as Debian's sshd allows.
func TestTrustedGroupIsRootsOrTheOwnersAlone(t *testing.T) {
	accounts(t)
	for _, c := range []struct {
		gid, owner uint32
		want       bool
	}{
		{0, 4242, true},
		{0, 0, true},
		{4242, 4242, true},  // alice's private group
		{4242, 4343, false}, // alice's, on bob's file
		{5000, 4343, false}, // bob's primary group, but it lists alice
		{5000, 4242, false}, // bob has it as his primary group
		{6000, 4242, true},  // lists alice alone
		{7000, 4242, false}, // no member: who may use it cannot be told
		{8000, 4242, false}, // not in the files (a directory service's)
	} {
		if got := trustedGroup(c.gid, c.owner); got != c.want {
			t.Errorf("trustedGroup(%d, %d) = %v, want %v", c.gid, c.owner, got, c.want)
		}
	}
}

// chownMode makes p of mode, owned by uid and gid.
func chownMode(t *testing.T, p string, mode os.FileMode, uid, gid int) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// TestAnyoneMayWriteRefusesAFileAGroupMayWrite: a policy of mode 0664
// whose group another user belongs to lets them change it; it is refused,
// naming its mode, owner and group, with the chmod and chgrp that fix it.
// Root's group, or the owner's private one, may write it; so may a
// group a state dir is shared with.
func TestAnyoneMayWriteRefusesAFileAGroupMayWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to other groups")
	}
	accounts(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	chownMode(t, path, 0o664, 0, 5000)
	want := "the policy's mode 0664 lets the members of group 5000"
	fix := "(it is owned by user 0 (root)) and give any role any operation; make it writable by its owner alone: chmod g-w " + path + ", or give it to root's group: chgrp 0 " + path + "; or, if the members of group 5000 may be trusted with it"
	got := PathAnyoneMayWrite(path, "the policy", "give any role any operation")
	if !strings.HasPrefix(got, want) || !strings.Contains(got, fix) {
		t.Errorf("PathAnyoneMayWrite of a file group 5000 may write = %q\nwant %s … %s", got, want, fix)
	}
	if got := PathOthersMayWrite(path, "the state dir", "forge"); got != "" {
		t.Errorf("PathOthersMayWrite of a file group 5000 may write = %q, want none", got)
	}
	chownMode(t, path, 0o664, 0, 0)
	if got := PathAnyoneMayWrite(path, "the policy", "give any role any operation"); got != "" {
		t.Errorf("PathAnyoneMayWrite of a file root's group may write = %q, want none", got)
	}
	chownMode(t, path, 0o664, 4242, 4242)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := GroupMayWrite(fi, path, "the policy", "x"); got != "" {
		t.Errorf("GroupMayWrite of alice's file her private group may write = %q, want none", got)
	}
}

// TestExposedRefusesADirectoryAGroupMayWrite: a directory on the path
// that a group not its owner's alone may write lets its members rename a
// file over the one trusted, or make it first, as one every user may
// write lets every user; with the sticky bit, only their own. A state
// dir's path (ExposedToOthers) leaves the group's write to its owner.
func TestExposedRefusesADirectoryAGroupMayWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to other groups")
	}
	accounts(t)
	base := t.TempDir()
	team := filepath.Join(base, "team")
	if err := os.Mkdir(team, 0o700); err != nil {
		t.Fatal(err)
	}
	chownMode(t, team, 0o775, 0, 5000)
	keys := filepath.Join(team, "keys.yaml")
	if err := os.WriteFile(keys, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "is in " + team + ", a directory the members of group 5000 may write (mode 0775): any of them can rename a file of their own over " + keys + " and add a key; make the directory writable by its owner alone (chmod g-w " + team + ")"
	if got := exposed(keys, "add a key", 0); !strings.HasPrefix(got, want) {
		t.Errorf("exposed(%s) = %q\nwant %s", keys, got, want)
	}
	// A group the owner chose (staff on a /usr/local of mode 2775) may
	// be trusted by name: the refusal says how.
	chownMode(t, team, 0o775|os.ModeSetgid, 0, 5000)
	if got, hint := exposed(keys, "add a key", 0), "set "+SafeEnv+"="+team+" in the environment"; !strings.Contains(got, hint) {
		t.Errorf("exposed(%s) = %q\nwant it to say %s", keys, got, hint)
	}
	t.Setenv(SafeEnv, team)
	if got := exposed(keys, "add a key", 0); got != "" {
		t.Errorf("exposed(%s) with %s=%s = %q, want none", keys, SafeEnv, team, got)
	}
	t.Setenv(SafeEnv, "")
	chownMode(t, team, 0o775, 0, 5000)
	if got := PathAnyoneMayWrite(keys, "the keys file", "add a key"); got != "the keys file "+exposed(keys, "add a key", 0) {
		t.Errorf("PathAnyoneMayWrite(%s) = %q", keys, got)
	}
	absent := filepath.Join(team, "new.yaml")
	if got := exposed(absent, "add a key", 0); !strings.HasPrefix(got, "would be in "+team+", a directory the members of group 5000 may write (mode 0775), and "+absent+" does not exist") {
		t.Errorf("exposed(%s) = %q", absent, got)
	}
	if got := ExposedToOthers(keys, "add a key"); got != "" {
		t.Errorf("ExposedToOthers(%s) = %q, want none", keys, got)
	}
	chownMode(t, team, 0o775|os.ModeSticky, 0, 5000)
	if got := exposed(keys, "add a key", 0); got != "" {
		t.Errorf("exposed of root's file in a sticky directory group 5000 may write = %q, want none", got)
	}
	chownMode(t, keys, 0o644, 4343, -1)
	if got := exposed(keys, "add a key", 0); !strings.Contains(got, "a directory the members of group 5000 may write, and "+keys+" there is owned by user 4343") {
		t.Errorf("exposed of bob's file in a sticky directory group 5000 may write = %q", got)
	}
	chownMode(t, team, 0o775, 0, 0)
	chownMode(t, keys, 0o644, 0, 0)
	if got := exposed(keys, "add a key", 0); got != "" {
		t.Errorf("exposed of a file in a directory root's group may write = %q, want none", got)
	}
}
