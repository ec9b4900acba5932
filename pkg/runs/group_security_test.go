//go:build unix

package runs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// otherUser is the uid the tests give the directories "another user"
// made: nobody. Only root can hand a directory to another user.
const otherUser = 65534

func asRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make directories another user owns")
	}
}

// plantDir makes dir as another user would: theirs, writable by anyone.
func plantDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, otherUser, otherUser); err != nil {
		t.Fatal(err)
	}
}

func groupDirOf(base, group string) string {
	g := fileGroups{dir: base}
	t, err := g.enqueue(group, "probe", "")
	if err == nil {
		ft := t.(*fileTicket)
		t.release()
		return ft.dir
	}
	return ""
}

// TestLockDirOfAnotherUserRefused: a base directory another user made
// first (the temporary directory is everyone's) is refused with what to
// do, and nothing of the run's is written there.
func TestLockDirOfAnotherUserRefused(t *testing.T) {
	asRoot(t)
	base := filepath.Join(t.TempDir(), "arsenal-run-groups-0")
	plantDir(t, base)
	_, err := fileGroups{dir: base}.enqueue("db-migrate", "run-1", "")
	if err == nil || !strings.Contains(err.Error(), base) || !strings.Contains(err.Error(), "belongs to uid 65534") || !strings.Contains(err.Error(), "--state-dir") {
		t.Fatalf("enqueue in another user's directory: %v; want a refusal naming %s, its owner and --state-dir", err, base)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("the run wrote into another user's directory: %v", entries)
	}
	fi, err := os.Stat(base)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o777 {
		t.Errorf("another user's directory was changed to %04o", fi.Mode().Perm())
	}

	// A run of the group says why it did not start, and runs nothing.
	m := newManager(t, Config{LockDir: base}, Limits{})
	path := writePlaybook(t, fmt.Sprintf(grouped, "queue"))
	h, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	r := wait(t, h)
	if r.Status == report.StatusSucceeded || r.Error == nil || !strings.Contains(r.Error.Message, base) || r.Steps[0].Status != report.StatusSkipped {
		t.Errorf("a run whose lock directory is another user's: %s %+v, steps %+v", r.Status, r.Error, r.Steps)
	}
}

// TestGroupDirOfAnotherUserRefused: a group's directory planted inside
// an own base (say, made while the base was open) is refused too, so no
// cancel-RUN file in it is ever read.
func TestGroupDirOfAnotherUserRefused(t *testing.T) {
	asRoot(t)
	base := filepath.Join(t.TempDir(), "groups")
	dir := groupDirOf(base, "db-migrate")
	if dir == "" {
		t.Fatal("no group directory")
	}
	plantDir(t, dir)
	// The attacker's request that the run stop, with their message.
	if err := os.WriteFile(filepath.Join(dir, "cancel-run-1"), []byte("attacker says stop"), 0o666); err != nil {
		t.Fatal(err)
	}
	_, err := fileGroups{dir: base}.enqueue("db-migrate", "run-1", "")
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Fatalf("enqueue in another user's group directory: %v; want a refusal naming %s", err, dir)
	}
}

// TestLockDirSymlinkRefused: a base directory that is a symlink (to a
// directory of the attacker's choosing) is refused, not followed.
func TestLockDirSymlinkRefused(t *testing.T) {
	tmp := t.TempDir()
	target := filepath.Join(tmp, "elsewhere")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(tmp, "groups")
	if err := os.Symlink(target, base); err != nil {
		t.Fatal(err)
	}
	_, err := fileGroups{dir: base}.enqueue("g", "run-1", "")
	if err == nil || !strings.Contains(err.Error(), "is a symlink") || !strings.Contains(err.Error(), base) {
		t.Fatalf("enqueue through a symlinked lock directory: %v", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("the run wrote through the symlink: %v", entries)
	}
}

// TestLockSymlinkNotFollowed: a lock symlink in a group's directory
// neither creates nor locks the file it points to.
func TestLockSymlinkNotFollowed(t *testing.T) {
	tmp := t.TempDir()
	base := filepath.Join(tmp, "groups")
	dir := groupDirOf(base, "g")
	if dir == "" {
		t.Fatal("no group directory")
	}
	victim := filepath.Join(tmp, "victim")
	if err := os.Symlink(victim, filepath.Join(dir, "lock")); err != nil {
		t.Fatal(err)
	}
	tk, err := fileGroups{dir: base}.enqueue("g", "run-1", "")
	if err != nil {
		t.Fatal(err)
	}
	defer tk.release()
	ok, _, err := tk.try()
	if ok || err == nil {
		t.Errorf("the group was taken through a lock symlink: ok %v, err %v", ok, err)
	}
	if _, err := os.Lstat(victim); !os.IsNotExist(err) {
		t.Errorf("the symlink's target was created: %v", err)
	}
	// Nor is a cancel request read through a symlink.
	secret := filepath.Join(tmp, "secret")
	if err := os.WriteFile(secret, []byte("run-x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "cancel-run-1")); err != nil {
		t.Fatal(err)
	}
	if by, err := tk.cancelledBy(); by != "" || err == nil {
		t.Errorf("a cancel request was read through a symlink: %q, %v", by, err)
	}
}

// TestOwnLockDirTightened: a directory of this user's that others may
// write (made by hand, under a lax umask) is made 0700 before use.
func TestOwnLockDirTightened(t *testing.T) {
	base := filepath.Join(t.TempDir(), "groups")
	if err := os.Mkdir(base, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o777); err != nil {
		t.Fatal(err)
	}
	tk, err := fileGroups{dir: base}.enqueue("g", "run-1", "")
	if err != nil {
		t.Fatal(err)
	}
	tk.release()
	for _, d := range []string{base, tk.(*fileTicket).dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s is %04o after use, want 0700", d, fi.Mode().Perm())
		}
	}
}
