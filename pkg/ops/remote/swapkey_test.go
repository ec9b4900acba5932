package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// writeKey writes a new unencrypted ed25519 private key to path with mode
// 0600.
func writeKey(t *testing.T, path string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestIdentityFileFIFOIsRefused: an identity_file or certificate_file
// that is a FIFO is refused at once, saying what it is. Before, the open
// waited for a writer for good, with no timeout: the step, and a
// daemon's run, hung.
func TestIdentityFileFIFOIsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	key := filepath.Join(dir, "id")
	writeKey(t, key)
	for _, c := range []struct{ key, cert, want string }{
		{fifo, "", "identity file " + fifo + ": " + fifo + " is a named pipe (FIFO), not a regular file"},
		{key, fifo, "certificate file " + fifo + ": " + fifo + " is a named pipe (FIFO), not a regular file"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := loadIdentity(c.key, c.cert, "", agentKeyring{}, false)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("key %s, certificate %q: %v\nlacks %q", c.key, c.cert, err, c.want)
			}
		case <-time.After(time.Minute):
			t.Fatalf("key %s, certificate %q: loadIdentity did not return", c.key, c.cert)
		}
	}
}

// TestDaemonRefusesAKeyAnotherUserCouldSwapOrRead: in the runs of serve
// and schedule (Settings.RefuseSwappable), an identity file that another
// user (mallory) could put a file of her own in place of, or that she
// owns, is refused with what to do; so is a certificate file she could
// swap. A root's key in a directory of root's is used, and a run of
// the user's own reads the others as before.
func TestDaemonRefusesAKeyAnotherUserCouldSwapOrRead(t *testing.T) {
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
	hers := filepath.Join(drop, "id")
	writeKey(t, hers)
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "id")
	writeKey(t, mine)
	readable := filepath.Join(dir, "id-mallory")
	writeKey(t, readable)
	if err := os.Chown(readable, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(readable, 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := loadIdentity(hers, "", "", agentKeyring{}, true)
	for _, want := range []string{
		"identity file " + hers + ": the identity file is in " + drop + ", a directory every user of this host may write, and " + hers + " there is owned by user 1001",
		"log in with a key of their choosing",
		"keep the file in a directory of your own",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mallory's key in a daemon's run: %v\nlacks %q", err, want)
		}
	}
	// Another user's key, even in root's directory: they may rewrite it
	// (and read it) at any time.
	_, err = loadIdentity(readable, "", "", agentKeyring{}, true)
	for _, want := range []string{"identity file " + readable + ": the identity file is owned by user 1001", "log in with a key of their choosing", "chown root " + readable} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mallory's key in root's directory in a daemon's run: %v\nlacks %q", err, want)
		}
	}
	if _, err := loadIdentity(mine, "", "", agentKeyring{}, true); err != nil {
		t.Errorf("root's key in root's directory: %v", err)
	}
	cert := filepath.Join(drop, "mine-cert.pub")
	if err := os.WriteFile(cert, []byte("not a cert\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(cert, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	_, err = loadIdentity(mine, cert, "", agentKeyring{}, true)
	if err == nil || !strings.Contains(err.Error(), "certificate file "+cert+": the certificate file is in "+drop) {
		t.Errorf("mallory's certificate in a daemon's run: %v", err)
	}
	for _, f := range []string{hers, readable} {
		if _, err := loadIdentity(f, "", "", agentKeyring{}, false); err != nil {
			t.Errorf("run, without RefuseSwappable, %s: %v", f, err)
		}
	}
}
