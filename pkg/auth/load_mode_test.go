package auth

import (
	"os"
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
