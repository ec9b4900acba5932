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
	want := fmt.Sprintf("box did not accept SSH within 500ms (1 attempt; the last was still waiting for the SSH greeting of box (127.0.0.1:%d), which took the TCP connection but has sent nothing (an sshd that hangs or has no connection slot free, its MaxStartups, or no SSH server on that port))", port)
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
}

// TestWaitDelayNotShorterThanTimeout: a delay no shorter than the
// timeout leaves no time for an attempt. Written as literals (or with the
// timeout left to its default 5m) it was refused only once the step had
// waited out the delay; it is refused when the playbook loads, naming
// delay, and with either one an expression when the step runs.
func TestWaitDelayNotShorterThanTimeout(t *testing.T) {
	r := ops.NewRegistry()
	if err := Register(r, Settings{Agent: "none"}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	e, err := r.Get("ssh.wait")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		with map[string]any
		want string // "" = accepted
	}{
		{map[string]any{"host": "box", "timeout": "500ms", "delay": "1s"}, "param delay: 1s is not shorter than timeout 500ms, so the step would time out before its first attempt; make delay shorter than timeout, or timeout longer than delay (it defaults to 5m)"},
		{map[string]any{"host": "box", "timeout": "1m", "delay": "1m"}, "param delay: 1m is not shorter than timeout 1m,"},
		{map[string]any{"host": "box", "delay": "5m"}, "param delay: 5m is not shorter than timeout 5m,"},
		{map[string]any{"host": "box", "delay": "4m59s"}, ""},
		{map[string]any{"host": "box", "timeout": ops.Deferred, "delay": "10m"}, ""},
		{map[string]any{"host": "box", "timeout": "1m", "delay": ops.Deferred}, ""},
	} {
		_, err := e.Validate(tc.with, false)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v; want it accepted", tc.with, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%v: %v\nwant: %s...", tc.with, err, tc.want)
		}
	}
	// What an expression gave is refused before the step waits.
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d}\n", freePort(t)))
	pool := newPool(t, Settings{Inventory: inv, KnownHosts: []string{kh}, Agent: "none", KillGrace: time.Second})
	start := time.Now()
	_, err = execute(t, context.Background(), pool, "ssh.wait", map[string]any{"host": "box", "timeout": "500ms", "delay": "1h"})
	if err == nil || !strings.Contains(err.Error(), "param delay: 1h is not shorter than timeout 500ms") || ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("run: %v (class %s); want delay refused (class validation)", err, ops.ClassOf(err))
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("refused after %s; want before any wait", d)
	}
}
