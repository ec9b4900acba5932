package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// TestSubPlaybookNeverReadsProtectedFiles checks that validation does not
// read, as a sub-playbook named by a literal path, a file that no file
// operation touches (here the state dir's report key), whether named
// directly or through a symlink: a playbook a caller wrote beside the
// state dir got the key quoted back in the error saying it is no
// playbook. The refusal names the file and what protects it.
func TestSubPlaybookNeverReadsProtectedFiles(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	const key = "51e7fbc14206fb3173a3bb0f35e0ac809d57dea5"
	if err := os.WriteFile(filepath.Join(state, "report.key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(state, "report.key"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Skip("cannot make a symlink:", err)
	}
	fsroot.Protect(state, "state dir")
	main := filepath.Join(dir, "main.yaml")
	src := "version: 1\nname: main\nsteps:\n" +
		"  - {id: a, op: playbook.run, with: {path: state/report.key}}\n" +
		"  - {id: b, op: playbook.run, with: {path: link.yaml}}\n"
	if err := os.WriteFile(main, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(main, fixtureRegistry(t))
	if err == nil {
		t.Fatal("loaded; want the protected sub-playbooks refused")
	}
	msg := err.Error()
	if strings.Contains(msg, key[:8]) {
		t.Errorf("the error quotes the key:\n%s", msg)
	}
	for _, want := range []string{
		"main.yaml:4:44: playbook.run: state/report.key cannot be read: denied: path",
		"main.yaml:5:44: playbook.run: link.yaml cannot be read: denied: path",
		"state dir",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

// TestNoPlaybookIsNotQuoted checks that a file holding a single value, no
// mapping, is refused without its text: a sub-playbook's path may come
// from a caller's input and name a file beside the calling playbook that
// they may not read (an env file, a key, a token), whose first line the
// refusal quoted.
func TestNoPlaybookIsNotQuoted(t *testing.T) {
	for _, c := range []struct{ src, kind, secret string }{
		{"DB_PASSWORD=hunter2\nAPI=x\n", "a string", "hunter2"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\n", "a string", "b3Bl"},
		{"84736251\n", "an integer", "84736251"},
		{"- s3cr3t-item\n", "a list", ""},
	} {
		_, err := Parse("/srv/playbooks/x", []byte(c.src), fixtureRegistry(t))
		want := "/srv/playbooks/x:1:1: the playbook must be a mapping (key: value), not " + c.kind + "; give the path of a playbook file"
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", c.src, err, want)
		}
		if err != nil && c.secret != "" && strings.Contains(err.Error(), c.secret) {
			t.Errorf("%q: the error quotes the file: %v", c.src, err)
		}
	}
}
