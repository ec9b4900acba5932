package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestSessionRefusedWhileServerCloses: a server refuses a session while
// it still counts those it has not finished closing, as a busy sshd does
// for a moment after a session ends. A step that opens one then, with no
// other session of its connection open, failed at once with "ssh:
// rejected: connect failed"; it tries again, and runs.
func TestSessionRefusedWhileServerCloses(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	var refused atomic.Int32
	port := refusingSessions(t, kh, 3, &refused)
	st := hungSettings(t, fmt.Sprintf("version: 1\nhosts:\n  busy: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", port, currentUser(t), key))
	st.KnownHosts = []string{kh}
	p := newPool(t, st)
	out, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "busy", "command": []any{"true"}})
	if err != nil || out["exit_code"] != 0 {
		t.Errorf("ssh.exec: %v %v; want it to run once the server allows the session", out, err)
	}
	if n := refused.Load(); n != 3 {
		t.Errorf("%d sessions refused, want 3", n)
	}
}

// TestSessionRefusedWhileSiblingWaits: a server refuses a step's session
// while another step's session on the same connection is open, counting
// one that has just ended, as a busy sshd with a low MaxSessions does. The
// step waited only for the other session to end; when that one's command
// waited in turn for the step (a gate it opens), neither ever moved. It
// asks again after a backoff, and runs.
func TestSessionRefusedWhileSiblingWaits(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	var refuseNext, refused atomic.Int32
	refuse := func() bool {
		if refuseNext.Add(-1) >= 0 {
			refused.Add(1)
			return true
		}
		return false
	}
	held, gate := make(chan struct{}), make(chan struct{})
	var gateOnce sync.Once
	openGate := func() { gateOnce.Do(func() { close(gate) }) }
	t.Cleanup(openGate)
	run := func(command string) {
		if strings.Contains(command, "held-by-gate") {
			close(held)
			<-gate
		}
	}
	port := fakeSSHD(t, kh, refuse, run)
	st := hungSettings(t, fmt.Sprintf("version: 1\nhosts:\n  busy: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", port, currentUser(t), key))
	st.KnownHosts = []string{kh}
	p := newPool(t, st)

	sibling := make(chan error, 1)
	go func() {
		out, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "busy", "command": []any{"echo", "held-by-gate"}})
		if err == nil && out["exit_code"] != 0 {
			err = fmt.Errorf("exit code %v", out["exit_code"])
		}
		sibling <- err
	}()
	select {
	case <-held:
	case err := <-sibling:
		t.Fatalf("the sibling step ended before its command ran: %v", err)
	}
	refuseNext.Store(2)

	// A guard against the wait it had: the step ends with its context, as
	// it would have after ten minutes under go test.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := execute(t, ctx, p, "ssh.exec", map[string]any{"host": "busy", "command": []any{"true"}})
	openGate()
	if err != nil || out["exit_code"] != 0 {
		t.Errorf("ssh.exec: %v %v; want it to run once the server allows the session", out, err)
	}
	if n := refused.Load(); n != 2 {
		t.Errorf("%d sessions refused, want 2", n)
	}
	if err := <-sibling; err != nil {
		t.Errorf("the sibling step: %v; want it to finish once its gate opened", err)
	}
}

// refusingSessions starts an SSH server that refuses the first n
// sessions asked for (counted in refused), then runs every command as
// one that exits 0 at once. It writes its host key to knownHosts.
func refusingSessions(t *testing.T, knownHosts string, n int32, refused *atomic.Int32) int {
	t.Helper()
	refuse := func() bool {
		if refused.Load() < n {
			refused.Add(1)
			return true
		}
		return false
	}
	return fakeSSHD(t, knownHosts, refuse, func(string) {})
}

// fakeSSHD starts an SSH server that refuses a session when refuse says
// so, and runs a command by calling run with it, then exiting 0. It
// writes its host key to knownHosts.
func fakeSSHD(t *testing.T, knownHosts string, refuse func() bool, run func(command string)) int {
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
				go ssh.DiscardRequests(reqs)
				for nch := range chans {
					if refuse() {
						nch.Reject(ssh.ConnectionFailed, "open failed")
						continue
					}
					ch, creqs, err := nch.Accept()
					if err != nil {
						continue
					}
					go func() {
						for req := range creqs {
							req.Reply(req.Type == "exec", nil)
							if req.Type == "exec" {
								var exec struct{ Command string }
								_ = ssh.Unmarshal(req.Payload, &exec)
								run(exec.Command)
								ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
								ch.Close()
							}
						}
					}()
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
