package remote

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// TestRefusedAsksForSshd: a host whose port nothing listens on failed
// with "connect: connection refused" alone, once per host of a fan-out;
// the error keeps those words and asks whether sshd listens there,
// pointing at the port where it is set: the host's line in the
// inventory, or host: for an address written directly.
func TestRefusedAsksForSshd(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	keygen(t, key, "")
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(freePort(t))
	addr := "127.0.0.1:" + port
	inv := parseInventory(t, "version: 1\ndefaults: {identity_file: "+key+"}\nhosts:\n  web-2: {address: 127.0.0.1, port: "+port+", identity_file: "+key+"}\n")
	st := Settings{Inventory: inv, KnownHosts: []string{kh}, Agent: "none"}
	for host, want := range map[string]string{
		"web-2": "connecting to web-2 (" + addr + "): dial tcp " + addr + ": connect: connection refused; " +
			"is sshd listening on " + addr + "? check the port of web-2 in the inventory (test-inventory.yaml:4)",
		"bob@" + addr: "connect: connection refused; is sshd listening on " + addr + "? check the port in host:",
	} {
		_, err := execute(t, context.Background(), newPool(t, st), "ssh.exec", map[string]any{"host": host, "command": []any{"true"}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q in %v", host, want, err)
		}
	}
}

// TestRefusedBehindJumpHost: a host behind a jump host whose port refuses
// the jump host's connection got sshd's "connect failed (Connection
// refused)" alone; it asks the same question, as the jump host sees it.
func TestRefusedBehindJumpHost(t *testing.T) {
	jump := startServer(t, serverOpts{})
	port := strconv.Itoa(freePort(t))
	inv := parseInventory(t, "version: 1\ndefaults: {user: "+currentUser(t)+", identity_file: "+jump.UserKey+"}\nhosts:\n"+
		"  bastion: {address: 127.0.0.1, port: "+strconv.Itoa(jump.Port)+"}\n"+
		"  app: {address: 127.0.0.1, port: "+port+", jump: bastion}\n")
	_, err := execute(t, context.Background(), newPool(t, jump.settings(inv)), "ssh.exec", map[string]any{"host": "app", "command": []any{"true"}})
	want := "; is sshd listening on 127.0.0.1:" + port + " (as bastion sees it)? check the port of app in the inventory (test-inventory.yaml:5)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in %v", want, err)
	}
}

// TestUnknownNameHint: a host whose address DNS does not know failed with
// Go's "lookup NAME on RESOLVER: no such host" alone; the error says
// where the name comes from: the host's address in the inventory, its
// name when it gives no address, or host:. The lookup's error is made
// here, so that the test asks no resolver.
func TestUnknownNameHint(t *testing.T) {
	inv := parseInventory(t, "version: 1\nhosts:\n  db-1: {address: db-1.internal.example}\n  cache-7: {port: 2222}\n")
	p := newPool(t, Settings{Inventory: inv, Agent: "none"})
	direct, err := inv.Resolve("bob@nosuch.example")
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[*inventory.Host]string{
		mustHost(t, inv, "db-1"): "; db-1.internal.example is not a name DNS knows here: check the address of db-1 in the inventory (test-inventory.yaml:3)",
		mustHost(t, inv, "cache-7"): "; cache-7 is not a name DNS knows here, and the inventory gives cache-7 no address, so its name was looked up: " +
			"add address: to cache-7 (test-inventory.yaml:4), or check the name",
		direct: "; nosuch.example is not a name DNS knows here: check the address in host:",
	} {
		lookup := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: h.Address, Server: "127.0.0.53:53", IsNotFound: true}}
		if got := p.refusedHint(h, lookup); got != want {
			t.Errorf("%s:\n got %q\nwant %q", h.Name, got, want)
		}
		if got := p.refusedHint(h, &net.DNSError{Err: "i/o timeout", Name: h.Address, IsTimeout: true}); got != "" {
			t.Errorf("%s: a lookup that timed out: %q; want no hint", h.Name, got)
		}
	}
}
