//go:build unix

package fsx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExposedJudgesTheDirectoriesOnThePath: a file is exposed when a
// directory it is looked up in lets another user put a file in its place
// (every user may write it, without the sticky bit), or, in a sticky one
// like /tmp, when the entry or the directory is another user's; or when
// another user owns a directory on the path, whatever its mode; a
// symbolic link is followed and the directories of its target judged
// too. The user is me (not root), so that root's chown can make files
// of others.
func TestExposedJudgesTheDirectoriesOnThePath(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by other users")
	}
	const me, other = 4242, 4343
	base := t.TempDir()
	mkdir := func(name string, mode os.FileMode, uid int) string {
		t.Helper()
		p := filepath.Join(base, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, -1); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := func(dir string, uid int) string {
		t.Helper()
		p := filepath.Join(dir, "keys.yaml")
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, -1); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(dir, target string, uid int) string {
		t.Helper()
		p := filepath.Join(dir, "link.yaml")
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(p, uid, -1); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own := mkdir("own", 0o755, me)
	others := mkdir("others", 0o755, other)
	open := mkdir("open", 0o777, me)
	sticky := mkdir("sticky", 0o777|os.ModeSticky, 0)
	stickyOther := mkdir("sticky-other", 0o777|os.ModeSticky, other)
	ownLinks := mkdir("own-links", 0o755, me)

	mine := file(own, me)
	inOpen := file(open, me)
	mineInSticky := file(sticky, me)
	othersInSticky := filepath.Join(sticky, "others.yaml")
	if err := os.WriteFile(othersInSticky, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(othersInSticky, other, -1); err != nil {
		t.Fatal(err)
	}
	inStickyOther := file(stickyOther, me)
	inOthers := file(others, me)
	if err := os.Mkdir(filepath.Join(others, "mine"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(others, "mine"), me, -1); err != nil {
		t.Fatal(err)
	}
	underOthers := file(filepath.Join(others, "mine"), me)
	toOpen := link(ownLinks, "../open/keys.yaml", me)
	otherLinkInSticky := link(sticky, mine, other)

	for _, c := range []struct {
		path, want string
	}{
		{mine, ""},
		{filepath.Join(own, "..", "own", "keys.yaml"), ""},
		{mineInSticky, ""},
		{inOpen, "is in " + open + ", a directory every user of this host may write (mode 0777): any of them can rename a file of their own over " + inOpen + " and add a key; make the directory writable by its owner alone (chmod o-w " + open + ")"},
		{othersInSticky, "is in " + sticky + ", a directory every user of this host may write, and " + othersInSticky + " there is owned by user 4343"},
		{inStickyOther, "owned by user 4343, who can replace " + inStickyOther},
		{toOpen, "is in " + open + ", a directory every user"},
		{otherLinkInSticky, otherLinkInSticky + " there is owned by user 4343"},
		// A directory another user owns, whatever its mode: they may
		// rename a file of their own over any name in it.
		{inOthers, "is in " + others + ", a directory owned by user 4343, who can rename a file of their own over " + inOthers + " at any time and add a key; keep it where root or user 4242 owns every directory above it, or make root own " + others + ": chown root " + others},
		{underOthers, "is in " + others + ", a directory owned by user 4343, who can rename a directory of their own over " + filepath.Join(others, "mine") + " at any time"},
		{link(own, underOthers, me), "a directory owned by user 4343"},
		{filepath.Join(others, "new.yaml"), "would be in " + others + ", a directory owned by user 4343, and " + filepath.Join(others, "new.yaml") + " does not exist: they can create it and add a key"},
		// Not there yet: the directory it would be made in decides.
		{filepath.Join(own, "new.yaml"), ""},
		{filepath.Join(own, "new", "keys.yaml"), ""},
		{filepath.Join(open, "new.yaml"), "would be in " + open + ", a directory every user of this host may write (mode 0777), and " + filepath.Join(open, "new.yaml") + " does not exist: any of them can create it and add a key; make the directory writable by its owner alone (chmod o-w " + open + "), or keep the file"},
		{filepath.Join(sticky, "new", "keys.yaml"), "would be in " + sticky + ", a directory every user of this host may write (mode 1777), and " + filepath.Join(sticky, "new") + " does not exist: any of them can create it and add a key; keep the file in a directory of your own"},
	} {
		got := exposed(c.path, "add a key", me)
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("exposed(%s) = %q, want %q", c.path, got, c.want)
		}
	}
}

// TestAnyoneMayWriteRefusesAFileAnotherUserOwns: a file of mode 0644 in
// a directory of root's, owned by another user, can be rewritten by that
// user at any time; it is refused, opened or not, naming the owner and
// the chown that fixes it. root's and this user's own pass.
func TestAnyoneMayWriteRefusesAFileAnotherUserOwns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by other users")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.yaml")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := AnyoneMayWrite(f, path, "the keys file", "add a key"); got != "" {
		t.Fatalf("AnyoneMayWrite of root's file = %q, want none", got)
	}
	if err := os.Chown(path, 4343, -1); err != nil {
		t.Fatal(err)
	}
	want := "the keys file is owned by user 4343, who can change it at any time and add a key; make root own it (chown root " + path + "), or keep a copy where root owns it and every directory above it; or, if user 4343 may be trusted with it (a CI container whose workspace they own, say), set ARSENAL_SAFE_DIRECTORIES=" + dir + " in the environment that starts arsenal-run (the job's, not a playbook's)"
	if got := AnyoneMayWrite(f, path, "the keys file", "add a key"); got != want {
		t.Errorf("AnyoneMayWrite of user 4343's file = %q, want %q", got, want)
	}
	if got := PathAnyoneMayWrite(path, "the keys file", "add a key"); got != want {
		t.Errorf("PathAnyoneMayWrite of user 4343's file = %q, want %q", got, want)
	}
}

// TestUserNameNamesTheAccount: an owner is named by uid and, when an
// account has it, by name, so that the advice says whose file it is.
func TestUserNameNamesTheAccount(t *testing.T) {
	if got := userName(0); got != "user 0 (root)" {
		t.Errorf("userName(0) = %q, want %q", got, "user 0 (root)")
	}
	if got := userName(2147483000); got != "user 2147483000" {
		t.Errorf("userName of no account = %q", got)
	}
}
