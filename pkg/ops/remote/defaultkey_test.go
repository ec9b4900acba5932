package remote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// TestDefaultKeyRefusedIsNamed: a ~/.ssh/id_* key that is there but not
// taken (readable by others, as OpenSSH refuses it too) is named with
// why and what to do when no key is left to log in with, not passed over
// as if there were none.
func TestDefaultKeyRefusedIsNamed(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	key := filepath.Join(home, ".ssh", "id_ed25519")
	if err := os.MkdirAll(filepath.Dir(key), 0o700); err != nil {
		t.Fatal(err)
	}
	keygen(t, key, "")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	p := newPool(t, Settings{Agent: "none"})
	_, _, err := p.signers(&inventory.Host{Name: "box"}, authOpts{})
	for _, want := range []string{"no key to log in to box with", key, "UNPROTECTED PRIVATE KEY FILE", "chmod 600"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}
}

// TestNoKeyAnywhereSaysWhereItLooked: with no agent and no ~/.ssh/id_*
// at all (a fresh service account, a container), the error says that no
// key was found, names the files it looked for and what to set; it said
// the keys there were "not usable", listing each missing file as
// refused.
func TestNoKeyAnywhereSaysWhereItLooked(t *testing.T) {
	for _, withDir := range []bool{false, true} {
		home := t.TempDir()
		t.Setenv("HOME", home)
		if withDir {
			if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		p := newPool(t, Settings{Agent: "none"})
		_, _, err := p.signers(&inventory.Host{Name: "box"}, authOpts{})
		if err == nil {
			t.Fatal("no error without any key")
		}
		msg := err.Error()
		for _, want := range []string{"no key to log in to box with", "the agent is turned off",
			"no " + filepath.Join(home, ".ssh", "id_ed25519"), "id_rsa", "identity_file", "ssh-keygen"} {
			if !strings.Contains(msg, want) {
				t.Errorf("~/.ssh there %v: err = %v\nwant it to contain %q", withDir, err, want)
			}
		}
		if strings.Contains(msg, "not usable") || strings.Contains(msg, "no such file") {
			t.Errorf("~/.ssh there %v: err = %v\nwant no key called unusable when none exists", withDir, err)
		}
	}
}
