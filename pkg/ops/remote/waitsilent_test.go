package remote

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestWaitOnSilentHost: a host that takes the TCP connection but never
// answers it (a machine half up, a firewall's tarpit) outlasts ssh.wait's
// timeout. The error says where the last attempt was held up, once, not
// the timeout repeated as the last attempt's own failure.
func TestWaitOnSilentHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	port := ln.Addr().(*net.TCPAddr).Port
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", port, currentUser(t), key))
	pool := newPool(t, Settings{Inventory: inv, KnownHosts: []string{kh}, Agent: "none",
		KeepAlive: 2 * time.Second, KeepAliveMax: 3, KillGrace: time.Second, DialTimeout: 10 * time.Second})
	_, err = execute(t, context.Background(), pool, "ssh.wait", map[string]any{"host": "box", "timeout": "500ms"})
	want := fmt.Sprintf("box did not accept SSH within 500ms (1 attempt; the last was still logging in to box (127.0.0.1:%d))", port)
	if err == nil || err.Error() != want || ops.ClassOf(err) != ops.ClassTimeout {
		t.Errorf("error: %v (class %s)\nwant: %s (class timeout)", err, ops.ClassOf(err), want)
	}
	if err != nil && strings.Count(err.Error(), "within") != 1 {
		t.Errorf("error: %v; want the timeout said once", err)
	}
}

// TestWaitSaysWhySoFewAttempts: ssh.wait on a host that refuses
// connections, timeout 4s, delay 1s, the interval 2s by default, tries at
// 1s and at 3s; the next would come at 5s. Its error said "2 attempts"
// alone, which reads as a fault against 4s / 2s; it says now how the
// attempts were spaced and that the next one was due past the timeout.
// A delay no shorter than the timeout, which leaves no time for an
// attempt, is said as such, not as a bare timeout.
func TestWaitSaysWhySoFewAttempts(t *testing.T) {
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", freePort(t), currentUser(t), key))
	pool := newPool(t, Settings{Inventory: inv, KnownHosts: []string{kh}, Agent: "none", KillGrace: time.Second})

	_, err := execute(t, context.Background(), pool, "ssh.wait", map[string]any{"host": "box", "timeout": "4s", "delay": "1s"})
	for _, want := range []string{"box did not accept SSH within 4s (", "attempts: the first after the delay of 1s, each after the one before failed and the interval of 2s, the next was due after the timeout; the last: ", "connection refused"} {
		if err == nil || !strings.Contains(err.Error(), want) || ops.ClassOf(err) != ops.ClassTimeout {
			t.Errorf("error: %v (class %s)\nwant it to contain %q (class timeout)", err, ops.ClassOf(err), want)
		}
	}

	_, err = execute(t, context.Background(), pool, "ssh.wait", map[string]any{"host": "box", "timeout": "500ms", "delay": "1s"})
	want := "box did not accept SSH within 500ms (no attempt: the delay of 1s before the first did not end within it; make the delay shorter than the timeout)"
	if err == nil || err.Error() != want || ops.ClassOf(err) != ops.ClassTimeout {
		t.Errorf("error: %v (class %s)\nwant: %s (class timeout)", err, ops.ClassOf(err), want)
	}
}
