package steps

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadSuggestsAPlaybookInASubdirectory: a playbook named bare, as
// "run deploy" or "run deploy.yaml" from the repository's root, is
// pointed to playbooks/deploy.yaml; a name found nowhere gets no guess.
func TestLoadSuggestsAPlaybookInASubdirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "playbooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "playbooks", "deploy.yaml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for arg, want := range map[string]string{
		"deploy":      `(did you mean "playbooks/deploy.yaml"?)`,
		"deploy.yaml": `(did you mean "playbooks/deploy.yaml"?)`,
		"restart":     "no such file or directory; check the path, which is taken from the working directory " + dir,
	} {
		_, err := Load(arg, testRegistry(t))
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("Load(%q): %v, want it to end with %s", arg, err, want)
		}
	}
}

// TestLoadUnreadableHasNoPosition: a playbook that does not open has no
// line to point at; the message names the file alone, once, and says
// what to check.
func TestLoadUnreadableHasNoPosition(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	_, err := Load("nope.yaml", testRegistry(t))
	want := "nope.yaml: cannot read the playbook: no such file or directory; check the path, which is taken from the working directory " + dir
	if err == nil || err.Error() != want {
		t.Errorf("Load: %v\nwant %s", err, want)
	}
	abs := filepath.Join(dir, "gone.yaml")
	_, err = Load(abs, testRegistry(t))
	if want := abs + ": cannot read the playbook: no such file or directory; check the path"; err == nil || err.Error() != want {
		t.Errorf("Load: %v\nwant %s", err, want)
	}
}

// TestLoadDeniedSaysWhoMayNotRead: a playbook the file system will not let
// this user read is not "meant" as another one beside it; the message
// says access was denied to whom, and what to change.
func TestLoadDeniedSaysWhoMayNotRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "backup.yaml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "backup2.yaml")
	got := unreadable(path, &fs.PathError{Op: "open", Path: path, Err: syscall.EACCES})
	want := fmt.Sprintf("cannot read the playbook: permission denied; the user running arsenal-run (uid %d) may not read it: make it, and the directories above it, readable by that user (chmod, chown), or run as one that may", os.Geteuid())
	if got != want {
		t.Errorf("unreadable:\n got %s\nwant %s", got, want)
	}
}
