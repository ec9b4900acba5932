package remote

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// socketsTo returns how many TCP connections this process holds to a
// loopback port, read from /proc.
func socketsTo(t *testing.T, port int) int {
	t.Helper()
	inodes := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "01" { // ESTABLISHED
				continue
			}
			_, p, _ := strings.Cut(fields[2], ":") // rem_address
			if n, err := strconv.ParseInt(p, 16, 32); err == nil && int(n) == port {
				inodes[fields[9]] = true
			}
		}
		f.Close()
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") && inodes[strings.Trim(link[7:], "[]")] {
			n++
		}
	}
	return n
}

// TestJumpHost reaches a host through a jump host (two sshd): the target
// is reached over a channel of the jump host's connection, not directly.
func TestJumpHost(t *testing.T) {
	jump := startServer(t, serverOpts{})
	target := startServer(t, serverOpts{})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	b1, _ := os.ReadFile(jump.KnownHosts)
	b2, _ := os.ReadFile(target.KnownHosts)
	if err := os.WriteFile(kh, append(b1, b2...), 0o600); err != nil {
		t.Fatal(err)
	}
	user := currentUser(t)
	inv := parseInventory(t, fmt.Sprintf(`version: 1
defaults: {user: %s}
hosts:
  bastion: {address: 127.0.0.1, port: %d, identity_file: %s}
  app: {address: 127.0.0.1, port: %d, identity_file: %s}
groups:
  dc: {members: [app], jump: bastion}
`, user, jump.Port, jump.UserKey, target.Port, target.UserKey))
	st := jump.settings(inv)
	st.KnownHosts = []string{kh}
	p := newPool(t, st)
	out, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "app", "command": []any{"sh", "-c", "echo $SSH_CONNECTION"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(out["stdout"].(string)); len(got) != 4 || got[3] != strconv.Itoa(target.Port) {
		t.Errorf("SSH_CONNECTION %q; want the target's port", out["stdout"])
	}
	if n := socketsTo(t, target.Port); n != 0 {
		t.Errorf("this process holds %d connections to the target; want none, the jump host makes it", n)
	}
	if n := socketsTo(t, jump.Port); n != 1 {
		t.Errorf("this process holds %d connections to the jump host; want 1", n)
	}
	if s := p.Stats(); s.Dials != 2 || s.Open != 2 {
		t.Errorf("stats %+v; want the jump host and the target", s)
	}
	if jump.Logins() != 1 || target.Logins() != 1 {
		t.Errorf("logins: jump %d, target %d", jump.Logins(), target.Logins())
	}
	// A second step reuses both.
	if _, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "app", "command": []any{"true"}}); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Dials != 2 {
		t.Errorf("stats %+v after a second step", s)
	}
}

// TestOneConnectionPerHost runs 20 steps one after another and 24 at once
// on one host: sshd sees one login. This sshd allows 3 sessions a
// connection, fewer than the pool's 10: steps it refuses wait for a session
// to end and try again.
func TestOneConnectionPerHost(t *testing.T) {
	srv := startServer(t, serverOpts{Config: "MaxSessions 3"})
	p := newPool(t, srv.settings(srv.inventory(t, "box")))
	for i := range 20 {
		if _, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}}); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	wp := pool.New().WithErrors().WithMaxGoroutines(24)
	for range 24 {
		wp.Go(func() error {
			_, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box", "command": []any{"sleep", "0.1"}})
			return err
		})
	}
	if err := wp.Wait(); err != nil {
		t.Fatalf("concurrent steps (sshd allows 3 sessions a connection): %v", err)
	}
	if n := srv.Logins(); n != 1 {
		t.Errorf("%d logins; want 1", n)
	}
	if s := p.Stats(); s.Dials != 1 || s.Open != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestFanOutHosts runs steps on 20 hosts at concurrency 10: each host gets
// one connection. The hosts are two sshd listening on ten loopback
// addresses each (sshd listens on at most 16).
func TestFanOutHosts(t *testing.T) {
	var inv strings.Builder
	fmt.Fprintf(&inv, "version: 1\ndefaults: {user: %s}\nhosts:\n", currentUser(t))
	var names []string
	var servers []*server
	kh := filepath.Join(t.TempDir(), "known_hosts")
	var khText []byte
	for s := range 2 {
		var addrs []string
		for i := 1; i <= 10; i++ {
			addrs = append(addrs, fmt.Sprintf("127.0.%d.%d", s, i))
		}
		srv := startServer(t, serverOpts{Listen: addrs})
		servers = append(servers, srv)
		b, _ := os.ReadFile(srv.KnownHosts)
		khText = append(khText, b...)
		for _, a := range addrs {
			names = append(names, fmt.Sprintf("h%02d", len(names)+1))
			fmt.Fprintf(&inv, "  %s: {address: %s, port: %d, identity_file: %s}\n", names[len(names)-1], a, srv.Port, srv.UserKey)
		}
	}
	if err := os.WriteFile(kh, khText, 0o600); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&inv, "groups:\n  fleet: [%s]\n", strings.Join(names, ", "))
	st := servers[0].settings(parseInventory(t, inv.String()))
	st.KnownHosts = []string{kh}
	p := newPool(t, st)
	hosts, err := p.s.Inventory.Hosts("fleet")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	wp := pool.New().WithErrors().WithMaxGoroutines(10)
	for round := range 3 {
		for _, h := range hosts {
			wp.Go(func() error {
				out, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": h.Name, "command": []any{"sh", "-c", "echo $SSH_CONNECTION"}})
				if err != nil {
					return fmt.Errorf("round %d, %s: %w", round, h.Name, err)
				}
				f := strings.Fields(out["stdout"].(string))
				mu.Lock()
				defer mu.Unlock()
				if len(f) == 4 {
					if prev, ok := seen[h.Name]; ok && prev != f[1] {
						return fmt.Errorf("%s: client port %s, before %s: a second connection", h.Name, f[1], prev)
					}
					seen[h.Name] = f[1]
					if f[2] != h.Address {
						return fmt.Errorf("%s reached %s", h.Name, f[2])
					}
				}
				return nil
			})
		}
	}
	if err := wp.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := servers[0].Logins() + servers[1].Logins(); n != 20 {
		t.Errorf("%d logins for 20 hosts", n)
	}
	if s := p.Stats(); s.Dials != 20 || s.Open != 20 {
		t.Errorf("stats %+v", s)
	}
}

// TestKilledServer kills sshd and everything it started while a step
// runs: the step fails at once with a clear error, and the next step dials
// again.
func TestKilledServer(t *testing.T) {
	srv := startServer(t, serverOpts{})
	p := newPool(t, srv.settings(srv.inventory(t, "box")))
	file := filepath.Join(t.TempDir(), "pids")
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box",
			"command": []any{"sh", "-c", "echo $$ > " + file + "; sleep 300 & echo $! >> " + file + "; wait"}})
		done <- err
	}()
	remotePIDs(t, file)
	srv.KillTree(syscall.SIGKILL)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the step still waits 30s after sshd was killed")
	}
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "connection to box (127.0.0.1:") || !strings.Contains(err.Error(), "lost") {
		t.Errorf("err = %v (class %s)", err, ops.ClassOf(err))
	}
	t.Logf("failed after %s: %v", time.Since(start), err)
	if s := p.Stats(); s.Open != 0 {
		t.Errorf("stats %+v; the dead connection is still pooled", s)
	}
	_, err = execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "box (127.0.0.1:") {
		t.Errorf("a step with sshd gone: %v", err)
	}
}

// TestUnresponsiveServer stops (SIGSTOP) sshd under a running step: no
// reset ever comes, so keepalives must notice; the step fails within a
// few keepalive intervals.
func TestUnresponsiveServer(t *testing.T) {
	srv := startServer(t, serverOpts{})
	st := srv.settings(srv.inventory(t, "box"))
	st.KeepAlive, st.KeepAliveMax = 500*time.Millisecond, 3
	p := newPool(t, st)
	file := filepath.Join(t.TempDir(), "pids")
	done := make(chan error, 1)
	go func() {
		_, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box",
			"command": []any{"sh", "-c", "echo $$ > " + file + "; sleep 300 & echo $! >> " + file + "; wait"}})
		done <- err
	}()
	remotePIDs(t, file)
	srv.KillTree(syscall.SIGSTOP)
	defer srv.KillTree(syscall.SIGCONT)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no answer to 3 keepalive requests") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the step still waits 30s after sshd stopped answering")
	}
}

// TestRedial kills the connection's server processes between steps (the
// listener stays): the next step finds the connection dead and dials again.
func TestRedial(t *testing.T) {
	srv := startServer(t, serverOpts{})
	p := newPool(t, srv.settings(srv.inventory(t, "box")))
	if err := runTrue(t, p, "box", nil); err != nil {
		t.Fatal(err)
	}
	srv.KillConnections()
	if err := runTrue(t, p, "box", nil); err != nil {
		t.Fatalf("after the connection died: %v", err)
	}
	if s := p.Stats(); s.Dials != 2 || s.Open != 1 || srv.Logins() != 2 {
		t.Errorf("stats %+v, %d logins; want a second connection", s, srv.Logins())
	}
}

// TestIdleClose checks that an idle connection is closed after
// IdleTimeout and that closing the pool ends every connection.
func TestIdleClose(t *testing.T) {
	srv := startServer(t, serverOpts{})
	st := srv.settings(srv.inventory(t, "box"))
	st.KeepAlive, st.IdleTimeout = 200*time.Millisecond, 500*time.Millisecond
	p := newPool(t, st)
	if err := runTrue(t, p, "box", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for p.Stats().Open != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the idle connection stays open")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := runTrue(t, p, "box", nil); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := runTrue(t, p, "box", nil); err == nil || !strings.Contains(err.Error(), "pool was closed") {
		t.Errorf("after Close: %v", err)
	}
}
