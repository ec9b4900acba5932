package steps

import (
	"os"
	"path/filepath"
	"strings"
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
