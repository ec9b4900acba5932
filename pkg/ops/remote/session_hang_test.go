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
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// silentSessions is an SSH server that logs anyone in and answers
// keepalives, but never answers a request to open a session: an sshd that
// cannot fork its session under memory pressure. It writes its host key to
// knownHosts and returns its port.
func silentSessions(t *testing.T, knownHosts string) int {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) { return nil, nil }}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	line := knownhosts.Line([]string{knownhosts.Normalize(fmt.Sprintf("127.0.0.1:%d", port))}, signer.PublicKey())
	if err := os.WriteFile(knownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, chans, reqs, err := ssh.NewServerConn(nc, cfg)
				if err != nil {
					return
				}
				go ssh.DiscardRequests(reqs) // keepalives are answered
				for range chans {
					// Never accepted nor rejected.
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return port
}

// TestStepTimeoutWhileOpeningASession: a step whose host logs it in but
// never opens its session ends at its own timeout, saying where it was,
// rather than waiting for as long as the connection lives (its keepalives
// are answered, so that is for ever).
func TestStepTimeoutWhileOpeningASession(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	port := silentSessions(t, kh)
	st := hungSettings(t, fmt.Sprintf(`version: 1
defaults: {user: %s, identity_file: %s}
hosts:
  wedged: {address: 127.0.0.1, port: %d}
`, currentUser(t), key, port))
	st.KnownHosts = []string{kh}
	p := newPool(t, st)
	cause := ops.WithClass(ops.ClassTimeout, errors.New("step timeout of 500ms exceeded"))
	ctx, cancel := context.WithTimeoutCause(context.Background(), 500*time.Millisecond, cause)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runTrueCtx(t, ctx, p, "wedged") }()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, cause) || ops.ClassOf(err) != ops.ClassTimeout || !strings.Contains(err.Error(), "while opening a session on wedged") {
			t.Errorf("err = %v (class %s), want the step's timeout while opening a session on wedged", err, ops.ClassOf(err))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the step still waits for its session 10s after its timeout")
	}
}
