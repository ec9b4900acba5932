package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSHTrustFilesAreProtected: with --inventory and --known-hosts, no
// file operation reads the key the inventory names nor rewrites the
// inventory or the known_hosts file. Before, a role limited to hosts:
// [web] read the key of another host and logged in with ssh, and one
// allowed file.* pointed a host at another server whose key it wrote
// into known_hosts, which got the next run's secret upload.
func TestSSHTrustFilesAreProtected(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"deploy": "-----BEGIN OPENSSH PRIVATE KEY-----\n", "known_hosts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	inv := writePlaybook(t, dir, "inv.yaml", "version: 1\nhosts:\n  box: {address: 127.0.0.1, port: 22222, user: root, identity_file: deploy}\n")
	known := filepath.Join(dir, "known_hosts")
	for step, what := range map[string]string{
		"{id: a, op: file.read, with: {path: " + filepath.Join(dir, "deploy") + "}}":                    "SSH key",
		"{id: a, op: file.write, with: {path: " + inv + ", content: x}}":                                "inventory",
		"{id: a, op: file.write, with: {path: " + known + ", content: \"127.0.0.1 ssh-ed25519 AAAA\"}}": "known_hosts file",
	} {
		pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: p\nsteps:\n  - "+step+"\n")
		r := runMain(t, "run", pb, "--inventory", inv, "--known-hosts", known)
		if r.code == ExitOK || !strings.Contains(r.stdout+r.stderr, what) {
			t.Errorf("%s: exit %d\n%s%s", step, r.code, r.stdout, r.stderr)
		}
	}
	if b, _ := os.ReadFile(inv); !strings.Contains(string(b), "identity_file") {
		t.Errorf("the inventory was rewritten: %q", b)
	}
}
