package remote

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
