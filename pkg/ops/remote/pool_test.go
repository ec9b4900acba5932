package remote

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
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
	// The stopped server never ends the session: its shell and sleep
	// would outlive the test.
	pids := remotePIDs(t, file)
	t.Cleanup(func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
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

// hungPort listens on a loopback port that accepts connections and never
// answers, like a host whose sshd hangs; it is closed when the test ends.
func hungPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
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
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// hungSettings are pool settings for hosts that never answer: a key to
// offer, an empty known_hosts and a short DialTimeout.
func hungSettings(t *testing.T, inv string) Settings {
	t.Helper()
	return Settings{Inventory: parseInventory(t, inv), KnownHosts: []string{filepath.Join(t.TempDir(), "known_hosts")}, Agent: "none",
		KeepAlive: 2 * time.Second, KeepAliveMax: 3, KillGrace: time.Second, DialTimeout: time.Second}
}

// TestCloseWhileDialling: a step waiting for a connection the pool is
// still making (here through a hung jump host) when the pool is closed is
// released at once, and told the pool was closed, not "context canceled".
func TestCloseWhileDialling(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	port := hungPort(t)
	st := hungSettings(t, fmt.Sprintf(`version: 1
defaults: {user: %s, identity_file: %s}
hosts:
  bastion: {address: 127.0.0.1, port: %d}
  db-01: {address: 10.0.0.5, port: 22}
groups:
  db: {members: [db-01], jump: bastion}
`, currentUser(t), key, port))
	st.DialTimeout = 15 * time.Second
	p := NewPool(st)
	done := make(chan error, 1)
	go func() { done <- runTrueCtx(t, context.Background(), p, "db-01") }()
	time.Sleep(300 * time.Millisecond) // the dial is under way
	p.Close()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "the connection pool was closed") || strings.Contains(err.Error(), "context canceled") {
			t.Errorf("err = %v, want the pool closed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the step still waits after Close")
	}
}

// greetingPort is a port whose server sends the SSH greeting and then
// nothing more: a login that hangs.
func greetingPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// TestStepTimeoutWhileDialling: a step whose time runs out while its
// connection is being made says which host, address and stage, keeping
// the class of its cause. A server that took the connection and never
// said a word (a hung sshd, one at its MaxStartups, a tarpit) was said to
// be "logging in", as one whose login is slow; it is said to have sent
// nothing, with where to look.
func TestStepTimeoutWhileDialling(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	port := hungPort(t)
	greeted := greetingPort(t)
	st := hungSettings(t, fmt.Sprintf(`version: 1
defaults: {user: %s, identity_file: %s}
hosts:
  hung-1: {address: 127.0.0.1, port: %d}
  slow-1: {address: 127.0.0.1, port: %d}
  bastion: {address: 127.0.0.1, port: %d}
  db-01: {address: 10.0.0.5, port: 22}
groups:
  db: {members: [db-01], jump: bastion}
`, currentUser(t), key, port, greeted, port))
	st.DialTimeout = 10 * time.Second
	p := newPool(t, st)
	for _, tc := range []struct{ host, want string }{
		{"hung-1", fmt.Sprintf("step timeout of 300ms exceeded while waiting for the SSH greeting of hung-1 (127.0.0.1:%d), which took the TCP connection but has sent nothing (an sshd that hangs", port)},
		{"slow-1", fmt.Sprintf("step timeout of 300ms exceeded while logging in to slow-1 (127.0.0.1:%d)", greeted)},
		{"db-01", fmt.Sprintf("step timeout of 300ms exceeded while connecting to db-01 (10.0.0.5:22) through jump host bastion (127.0.0.1:%d)", port)},
	} {
		cause := ops.Errorf(ops.ClassTimeout, "step timeout of 300ms exceeded")
		ctx, cancel := context.WithTimeoutCause(context.Background(), 300*time.Millisecond, cause)
		err := runTrueCtx(t, ctx, p, tc.host)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) || ops.ClassOf(err) != ops.ClassTimeout || !errors.Is(err, cause) {
			t.Errorf("%s: err = %v (class %s)\nwant it to contain %q and wrap the cause", tc.host, err, ops.ClassOf(err), tc.want)
		}
	}
}

func runTrueCtx(t *testing.T, ctx context.Context, p *Pool, host string) error {
	t.Helper()
	_, err := execute(t, ctx, p, "ssh.exec", map[string]any{"host": host, "command": []any{"true"}})
	return err
}

// TestStuckCommandOnSharedConnection: three hosts share one connection
// (one address, user and key). A session on app-11 that gives no answer
// while its command is being stopped makes the pool close the connection;
// the step on app-26 that used it too is told the connection's address,
// the hosts that shared it and which host's command did not stop, not that
// app-01's connection was lost. sshd always answers a session's close, so
// the stuck session is one whose end this test holds back.
func TestStuckCommandOnSharedConnection(t *testing.T) {
	srv := startServer(t, serverOpts{})
	var inv strings.Builder
	fmt.Fprintf(&inv, "version: 1\ndefaults: {user: %s, identity_file: %s}\nhosts:\n", currentUser(t), srv.UserKey)
	for _, name := range []string{"app-01", "app-26", "app-11"} {
		fmt.Fprintf(&inv, "  %s: {address: 127.0.0.1, port: %d}\n", name, srv.Port)
	}
	p := newPool(t, srv.settings(parseInventory(t, inv.String())))
	if err := runTrue(t, p, "app-01", nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pids")
	other := make(chan error, 1)
	var otherOut map[string]any
	go func() {
		out, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "app-26",
			"command": []any{"sh", "-c", "echo $$ > " + file + "; sleep 300 & echo $! >> " + file + "; wait"}})
		otherOut = out
		other <- err
	}()
	pids := remotePIDs(t, file)
	t.Cleanup(func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	app11, ok := p.s.Inventory.Host("app-11")
	if !ok {
		t.Fatal("no host app-11")
	}
	sess, c, release, err := p.session(context.Background(), app11, authOpts{})
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	cmd := newCommand([]string{"sleep", "300"}, "", nil, "", nil, "")
	waited := make(chan error, 1)
	go func() { <-c.dead; waited <- errors.New("the session ended with its connection") }()
	// The command started: its process group (a local one the signals
	// can reach on this loopback host) is known and its gate open.
	group := exec.Command("sleep", "300")
	group.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := group.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = group.Process.Kill(); _ = group.Wait() })
	m := newMarkers(cmd, io.Discard, io.Discard)
	m.stdout().Write([]byte(fmt.Sprintf("%s %d\n", cmd.nonce, group.Process.Pid)))
	m.open()
	if err := p.stop(c, authOpts{}, sess, m, waited, "sleep on app-11", &stopAccount{}); err == nil {
		t.Error("stop gave no error")
	}

	select {
	case err = <-other:
	case <-time.After(30 * time.Second):
		t.Fatal("the other step still runs 30s after its connection was closed")
	}
	want := fmt.Sprintf("connection to 127.0.0.1:%d (shared by app-01, app-26, app-11) closed: sleep on app-11 gave no answer while being stopped; whether sh finished on app-26 is unknown", srv.Port)
	if err == nil || err.Error() != want || ops.ClassOf(err) != ops.ClassExecution {
		t.Errorf("the other step: %v (class %s)\nwant %s", err, ops.ClassOf(err), want)
	}
	// Nobody saw sh end on app-26: its exit code is unknown, not 0, which
	// a later step's when: would take for a success.
	if otherOut == nil || otherOut["exit_code"] != -1 {
		t.Errorf("the other step's output %v; want exit_code -1", otherOut)
	}
}
