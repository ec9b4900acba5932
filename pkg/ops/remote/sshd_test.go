package remote

// Tests run against real OpenSSH servers started here on loopback ports,
// with host keys, user keys and authorized_keys generated for them. They
// are skipped only when sshd or ssh-keygen is not installed (CI installs
// both).

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The servers come from internal/sshdtest, which other packages' tests
// share; these names keep this package's tests short.

func tool(t testing.TB, name string) string { return sshdtest.Tool(t, name) }

func keygen(t testing.TB, path, passphrase string) { sshdtest.Keygen(t, path, passphrase) }

func freePort(t testing.TB) int { return sshdtest.FreePort(t) }

type syncBuffer = sshdtest.SyncBuffer

type serverOpts = sshdtest.Options

// server is a running sshd, with this package's helpers.
type server struct{ *sshdtest.Server }

// startServer starts sshd on loopback; it is stopped when the test ends.
func startServer(t testing.TB, o serverOpts) *server {
	t.Helper()
	return &server{sshdtest.Start(t, o)}
}

func knownHostsLine(addr string, port int, key ssh.PublicKey) string {
	return sshdtest.KnownHostsLine(addr, port, key)
}

// inventory returns an inventory with this server as host name (and any
// more YAML host lines).
func (s *server) inventory(t testing.TB, name string) *inventory.Inventory {
	t.Helper()
	return parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  %s: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", name, s.Port, currentUser(t), s.UserKey))
}

func parseInventory(t testing.TB, text string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Parse("test-inventory.yaml", []byte(text))
	if err != nil {
		t.Fatalf("inventory:\n%s\n%v", text, err)
	}
	return inv
}

func currentUser(t testing.TB) string {
	t.Helper()
	u, err := localUser()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// settings are the pool settings of tests: this server's known_hosts, no
// agent, quick keepalives.
func (s *server) settings(inv *inventory.Inventory) Settings {
	return Settings{Inventory: inv, KnownHosts: []string{s.KnownHosts}, Agent: "none",
		KeepAlive: 2 * time.Second, KeepAliveMax: 3, KillGrace: time.Second, DialTimeout: 10 * time.Second}
}

// registry returns a registry holding the ssh.* operations with pool
// settings st, closed when the test ends.
func registry(t testing.TB, st Settings) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r, st); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// newPool returns a pool closed when the test ends.
func newPool(t testing.TB, st Settings) *Pool {
	t.Helper()
	p := NewPool(st)
	t.Cleanup(func() { p.Close() })
	return p
}

// execute runs op through a registry (schema and ValidateParams apply),
// with pool in the context.
func execute(t testing.TB, ctx context.Context, pool *Pool, op string, params map[string]any) (map[string]any, error) {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r, Settings{Agent: "none"}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return opstest.Execute(r, WithPool(ctx, pool), op, params)
}
