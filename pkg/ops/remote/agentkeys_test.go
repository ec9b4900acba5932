package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// keyAgent serves an ssh-agent holding n new keys, none of which any
// server authorizes, on a unix socket; it stops when the test ends.
func keyAgent(t *testing.T, n int) string {
	t.Helper()
	var keys []any
	for range n {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, priv)
	}
	return keyAgentWith(t, keys...)
}

// keyAgentWith serves an ssh-agent holding the private keys given.
func keyAgentWith(t *testing.T, keys ...any) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	// A short path: unix socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = agent.ServeAgent(keyring, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		os.RemoveAll(dir)
	})
	return sock
}

// TestTooManyAgentKeys: an agent holding more keys than the server lets
// a client try (MaxAuthTries) has the server close the login with "Too
// many authentication failures". That is a refused login, with advice
// naming the host and the user, and ssh.wait fails at once instead of
// trying for its whole timeout.
func TestTooManyAgentKeys(t *testing.T) {
	srv := startServer(t, serverOpts{Config: "MaxAuthTries 2"})
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh/id_* to offer
	user := currentUser(t)
	st := srv.settings(parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  noidentity: {address: 127.0.0.1, port: %d, user: %s}\n", srv.Port, user)))
	st.Agent = keyAgent(t, 4)
	p := newPool(t, st)

	err := runTrue(t, p, "noidentity", nil)
	var le *loginError
	if !errors.As(err, &le) || ops.ClassOf(err) != ops.ClassExecution {
		t.Fatalf("err = %v (class %s); want a refused login", err, ops.ClassOf(err))
	}
	for _, want := range []string{fmt.Sprintf("logging in to noidentity (127.0.0.1:%d) as %s", srv.Port, user), "too many", "identity_file", "fewer keys", "ssh-add -l"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}

	start := time.Now()
	_, err = execute(t, context.Background(), p, "ssh.wait", map[string]any{"host": "noidentity", "timeout": "60s", "interval": "200ms"})
	if !errors.As(err, &le) || time.Since(start) > 20*time.Second {
		t.Errorf("ssh.wait: %v after %s; want the refused login at once", err, time.Since(start))
	}
}

// TestEncryptedKeyInAgent: an encrypted identity_file whose key the agent
// holds (ssh-add) logs in through the agent without key_passphrase, as
// ssh -i does; without the key in the agent, the error gives both ways
// out.
func TestEncryptedKeyInAgent(t *testing.T) {
	srv := startServer(t, serverOpts{})
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh/id_* to offer
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "s3cret passphrase")
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(srv.Dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ssh.ParseRawPrivateKeyWithPassphrase(pem, []byte("s3cret passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	st := srv.settings(parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", srv.Port, currentUser(t), key)))
	st.Agent = keyAgentWith(t, raw)
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Fatalf("encrypted key held by the agent: %v", err)
	}

	st.Agent = keyAgent(t, 1) // another key only
	err = runTrue(t, newPool(t, st), "box", nil)
	for _, want := range []string{"is encrypted; give its passphrase in key_passphrase", "ssh-add " + key, "does not hold that key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("agent without the key: %v\nwant it to contain %q", err, want)
		}
	}
}

// TestEmptyAgent: an agent that holds no keys is named as such, not
// taken for no agent at all.
func TestEmptyAgent(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh/id_* to offer
	inv := parseInventory(t, "version: 1\nhosts:\n  box: {address: 127.0.0.1, port: 22}\n")
	sock := keyAgent(t, 0)
	p := newPool(t, Settings{Inventory: inv, Agent: sock})
	h, err := inv.Resolve("box")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = p.signers(h, authOpts{})
	want := "no key to log in to box with: the ssh-agent at " + sock + " holds no keys"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "ssh-add") {
		t.Errorf("err = %v\nwant it to contain %q and ssh-add", err, want)
	}
}
