package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRefusesAStateDirAnotherUserOwns: the history database holds the
// result cache, which answers steps without running them, and the state
// dir the reports; a state dir another user made (in /tmp, before this
// user's first run), or a file of theirs in it, is theirs to change, so
// every command that opens it is refused, naming it, with what to do,
// and the file is neither made private nor used.
func TestOpenRefusesAStateDirAnotherUserOwns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another user")
	}
	const other = 4343
	dir := filepath.Join(t.TempDir(), "state")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	refused := func(want ...string) {
		t.Helper()
		s, err := Open(dir)
		if err == nil {
			s.Close()
			t.Fatalf("opened a state dir holding a file of user %d", other)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
	}
	if err := os.Chown(dir, other, -1); err != nil {
		t.Fatal(err)
	}
	refused("the state dir "+dir+" belongs to user 4343", "use a state dir of your own", "chown -R 0 "+dir)
	if err := os.Chown(dir, 0, -1); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, FileName)
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(db, other, -1); err != nil {
		t.Fatal(err)
	}
	refused(db+" in the state dir belongs to user 4343", "chown 0 "+db)
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the other user's database was changed: %v %v", fi.Mode(), err)
	}
	if err := os.Chown(db, 0, -1); err != nil {
		t.Fatal(err)
	}
	// A journal of theirs would be read as the database's last commits.
	wal := filepath.Join(dir, FileName+"-wal")
	if err := os.WriteFile(wal, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(wal, other, -1); err != nil {
		t.Fatal(err)
	}
	refused(wal + " in the state dir belongs to user 4343")
	os.Remove(wal)
	if s, err := Open(dir); err != nil {
		t.Fatalf("the state dir, all this user's again: %v", err)
	} else {
		s.Close()
	}
}

// TestOpenRefusesALinkInPlaceOfItsFiles: a link where the state dir's
// lock or database goes (put there while the directory was open to other
// users) would have this process write the file it names; it is refused,
// named, and that file is left as it was.
func TestOpenRefusesALinkInPlaceOfItsFiles(t *testing.T) {
	for _, name := range []string{openLock, FileName} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			victim := filepath.Join(base, "victim")
			if err := os.WriteFile(victim, []byte("keep me\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(dir, name)
			if err := os.Symlink(victim, link); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir)
			if err == nil {
				s.Close()
				t.Fatal("opened a state dir through a link in place of " + name)
			}
			for _, w := range []string{link + " is a symbolic link to " + victim, "rm " + link} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if fi, err := os.Stat(victim); err != nil || fi.Mode().Perm() != 0o644 || string(mustReadFile(t, victim)) != "keep me\n" {
				t.Errorf("the file the link names was changed: %v %v", fi.Mode(), err)
			}
		})
	}
}

// TestOpenSaysWhatToDoForALinkToNothing: a state dir that is a link to a
// directory not made yet failed with a bare "mkdir DIR: file exists".
func TestOpenSaysWhatToDoForALinkToNothing(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "state")
	target := filepath.Join(base, "gone", "state")
	if err := os.Symlink(target, dir); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("opened a link to nothing")
	}
	for _, w := range []string{"the state dir " + dir + " is a symbolic link to " + target + ", which does not exist", "mkdir -m 700 -p " + target} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
