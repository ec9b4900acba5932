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
