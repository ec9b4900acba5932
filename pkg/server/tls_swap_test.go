package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTLSCertAndKeyAnotherUserCouldSwapRefused: a --tls-cert or
// --tls-key another user (mallory) could put a file of her own in place
// of is refused, at start and at a reload, as the client CA is: with a
// certificate and key of her own in force, she would pass for the server
// to its clients and read the keys they send. So is a key every user may
// read. A reload keeps the files read before; root's files in root's
// directory, and a key its group may read, are taken.
func TestTLSCertAndKeyAnotherUserCouldSwapRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	ca := newCA(t, "ca")
	c, k := ca.issue(t, "s", "", true)
	cert, key := writeFile(t, dir, "c.pem", c), writeFile(t, dir, "k.pem", k)
	herCert, herKey := writeFile(t, drop, "c.pem", c), writeFile(t, drop, "k.pem", k)
	for _, f := range []string{herCert, herKey} {
		if err := os.Chown(f, mallory, mallory); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ cert, key, want string }{
		{herCert, key, "--tls-cert " + herCert + ": the TLS certificate is in " + drop + ", a directory every user of this host may write, and " + herCert + " there is owned by user 1001"},
		{cert, herKey, "--tls-key " + herKey + ": the TLS key is in " + drop + ", a directory every user of this host may write, and " + herKey + " there is owned by user 1001"},
	} {
		_, err := LoadTLS(c.cert, c.key, "")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "pass for this server") {
			t.Errorf("cert %s, key %s: %v\nlacks %q", c.cert, c.key, err, c.want)
		}
	}

	if err := os.Chmod(key, 0o640); err != nil {
		t.Fatal(err)
	}
	files, err := LoadTLS(cert, key, "")
	if err != nil {
		t.Fatalf("root's files, the key group-readable: %v", err)
	}
	before := files.cur.Load()
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	err = files.Reload()
	for _, want := range []string{"--tls-key " + key + ": the TLS key's mode 0644 lets every user of this host read it", "chmod o-r " + key} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a key every user may read at reload: %v\nlacks %q", err, want)
		}
	}
	if files.cur.Load() != before {
		t.Error("a refused reload replaced the settings in force")
	}
	if _, err := LoadTLS(cert, key, ""); err == nil || !strings.Contains(err.Error(), "lets every user of this host read it") {
		t.Errorf("a key every user may read at start: %v", err)
	}
}
