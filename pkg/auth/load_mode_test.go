package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadPolicyRefusesAFileAnyoneMayWrite: a policy every user of the
// host may write would let any of them give their role any operation;
// it is refused, naming the file (it has no line at fault), with the chmod that fixes it.
func TestLoadPolicyRefusesAFileAnyoneMayWrite(t *testing.T) {
	path := writeFile(t, t.TempDir(), "policy.yaml", "version: 1\nroles:\n  ops:\n    allow: [control.*]\n")
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPolicy(path, testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), path+": the policy's mode 0666 lets every user of this host write it") ||
		!strings.Contains(err.Error(), "chmod go-w "+path) {
		t.Fatalf("LoadPolicy of a file of mode 0666 = %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPolicy(path, testRegistry(t)); err != nil {
		t.Fatalf("LoadPolicy of a file of mode 0644: %v", err)
	}
}

// TestLoadPolicyNotAFileHasNoLine: a policy path naming a directory was
// reported at 1:1, a line it does not have, repeating the path; it names
// the path alone and says what to give instead.
func TestLoadPolicyNotAFileHasNoLine(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadPolicy(dir, testRegistry(t))
	want := dir + ": cannot read the policy: it is a directory, not a regular file; give the path of the policy itself, a file in that directory or elsewhere"
	if err == nil || err.Error() != want {
		t.Fatalf("LoadPolicy of a directory = %v\nwant %s", err, want)
	}
}

// TestLoadPolicyRefusesAFileAnotherUserOwns: a policy of mode 0644 that
// another user of the host (uid 1001) owns, or one of root's in a
// directory of theirs (mode 0755), lets that user give any role any
// operation whenever they like: each is refused at its first line,
// naming the owner and the chown that fixes it.
func TestLoadPolicyRefusesAFileAnotherUserOwns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another user")
	}
	dir := filepath.Join(t.TempDir(), "alice")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, dir, "policy.yaml", "version: 1\nroles:\n  ops:\n    allow: [control.*]\n")
	if _, err := LoadPolicy(path, testRegistry(t)); err != nil {
		t.Fatalf("LoadPolicy of root's file: %v", err)
	}
	if err := os.Chown(path, 1001, 1001); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPolicy(path, testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), path+": the policy is owned by user 1001") ||
		!strings.Contains(err.Error(), "give any role any operation") || !strings.Contains(err.Error(), "chown root "+path) {
		t.Errorf("LoadPolicy of user 1001's file = %v", err)
	}
	if err := os.Chown(path, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 1001, 1001); err != nil {
		t.Fatal(err)
	}
	_, err = LoadPolicy(path, testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), path+": the policy is in "+dir+", a directory owned by user 1001") {
		t.Errorf("LoadPolicy of root's file in user 1001's directory = %v", err)
	}
}

// TestLoadPolicyRefusesAFileAGroupMayWrite: a policy of mode 0664 whose
// group (5000, no user's private group) may write it, or one in a
// directory that group may write, lets every member of the group give
// any role any operation; each is refused, naming the mode, the owner and
// the chmod that fixes it, as sshd and sudo refuse such a file. Root's
// group may write it.
func TestLoadPolicyRefusesAFileAGroupMayWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to another group")
	}
	dir := filepath.Join(t.TempDir(), "team")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, dir, "policy.yaml", "version: 1\nroles:\n  ops:\n    allow: [control.*]\n")
	if err := os.Chmod(path, 0o664); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPolicy(path, testRegistry(t)); err != nil {
		t.Fatalf("LoadPolicy of a file of mode 0664 of root's group: %v", err)
	}
	if err := os.Chown(path, 0, 5000); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPolicy(path, testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), path+": the policy's mode 0664 lets the members of group 5000 write it (it is owned by user 0 (root)) and give any role any operation") ||
		!strings.Contains(err.Error(), "chmod g-w "+path) {
		t.Errorf("LoadPolicy of a file group 5000 may write = %v", err)
	}
	if err := os.Chown(path, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 0, 5000); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o775); err != nil {
		t.Fatal(err)
	}
	_, err = LoadPolicy(path, testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), path+": the policy is in "+dir+", a directory the members of group 5000 may write (mode 0775)") ||
		!strings.Contains(err.Error(), "chmod g-w "+dir) {
		t.Errorf("LoadPolicy of a file in a directory group 5000 may write = %v", err)
	}
}
