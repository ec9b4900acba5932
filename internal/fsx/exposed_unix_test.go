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
// like /tmp, when the entry or the directory is another user's; a
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
