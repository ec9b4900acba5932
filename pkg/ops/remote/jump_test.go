package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

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

// TestJumpHostLost: when the jump host's connection ends, the connection
// to the host behind it ends too, and says the jump host's was lost, the
// hop that failed, not that the target closed it.
func TestJumpHostLost(t *testing.T) {
	jump := startServer(t, serverOpts{})
	target := startServer(t, serverOpts{})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	b1, _ := os.ReadFile(jump.KnownHosts)
	b2, _ := os.ReadFile(target.KnownHosts)
	if err := os.WriteFile(kh, append(b1, b2...), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := parseInventory(t, fmt.Sprintf(`version: 1
defaults: {user: %s}
hosts:
  bastion: {address: 127.0.0.1, port: %d, identity_file: %s}
  app: {address: 127.0.0.1, port: %d, identity_file: %s, jump: bastion}
`, currentUser(t), jump.Port, jump.UserKey, target.Port, target.UserKey))
	st := jump.settings(inv)
	st.KnownHosts = []string{kh}
	p := newPool(t, st)
	if err := runTrue(t, p, "app", nil); err != nil {
		t.Fatal(err)
	}
	app, _ := inv.Host("app")
	c := p.pooled(app)
	if c == nil {
		t.Fatal("no pooled connection to app")
	}
	jump.KillConnections()
	select {
	case <-c.dead:
	case <-time.After(30 * time.Second):
		t.Fatal("the connection to app outlives its jump host's by 30s")
	}
	want := fmt.Sprintf("connection to app (127.0.0.1:%d) lost: jump host bastion: connection to bastion (127.0.0.1:%d) lost: ", target.Port, jump.Port)
	if err := c.lost(); !strings.HasPrefix(err.Error(), want) {
		t.Errorf("lost: %v\nwant it to start with %q", err, want)
	}
}

// TestHungJumpHost: a jump host that accepts and never answers fails the
// hosts behind it with the jump host's name, address and stage, not with
// the target taken for timing out.
func TestHungJumpHost(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	port := hungPort(t)
	p := newPool(t, hungSettings(t, fmt.Sprintf(`version: 1
defaults: {user: %s, identity_file: %s}
hosts:
  bastion: {address: 127.0.0.1, port: %d}
  db-01: {address: 10.0.0.5, port: 22}
groups:
  db: {members: [db-01], jump: bastion}
`, currentUser(t), key, port)))
	err := runTrue(t, p, "db-01", nil)
	want := fmt.Sprintf("jump host bastion: waiting for the SSH greeting of bastion (127.0.0.1:%d), which took the TCP connection but has sent nothing (an sshd that hangs or has no connection slot free, its MaxStartups, or no SSH server on that port): connecting to bastion took longer than 1s", port)
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "connecting to db-01") || ops.ClassOf(err) != ops.ClassTimeout {
		t.Errorf("err = %v (class %s)\nwant it to contain %q", err, ops.ClassOf(err), want)
	}
}

// TestStepTimeoutInAChainOfJumps: behind two jump hosts, a step whose
// time runs out while the outer one hangs names that one, the hop to look
// at, not only the jump host next to the target, which waits for it.
func TestStepTimeoutInAChainOfJumps(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	port := hungPort(t)
	st := hungSettings(t, fmt.Sprintf(`version: 1
defaults: {user: %s, identity_file: %s}
hosts:
  bastion: {address: 127.0.0.1, port: %d}
  inner: {address: 10.0.0.4, port: 22, jump: bastion}
  db-02: {address: 10.0.0.6, port: 22, jump: inner}
`, currentUser(t), key, port))
	st.DialTimeout = 30 * time.Second
	p := newPool(t, st)
	cause := ops.Errorf(ops.ClassTimeout, "step timeout of 2s exceeded")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 2*time.Second, cause)
	defer cancel()
	err := runTrueCtx(t, ctx, p, "db-02")
	want := fmt.Sprintf("step timeout of 2s exceeded while connecting to db-02 (10.0.0.6:22) through jump host inner (10.0.0.4:22), held up at jump host bastion: waiting for the SSH greeting of bastion (127.0.0.1:%d)", port)
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, cause) {
		t.Errorf("err = %v\nwant it to contain %q", err, want)
	}
}
