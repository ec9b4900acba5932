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
