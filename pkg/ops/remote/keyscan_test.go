package remote

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestKeyscanAdviceBehindJumpHosts follows the advice for an unknown host
// behind jump hosts verbatim, with OpenSSH's ssh: each hop has a key of
// its own, not one ssh finds by itself, and the jump hosts are known only
// to the file given to the pool (--known-hosts). The command the message
// gives adds the key, and the step then logs in.
func TestKeyscanAdviceBehindJumpHosts(t *testing.T) {
	tool(t, "ssh")
	tool(t, "ssh-keyscan")
	edge, mid, app := startServer(t, serverOpts{}), startServer(t, serverOpts{}), startServer(t, serverOpts{})
	user := currentUser(t)
	inv := parseInventory(t, fmt.Sprintf(`version: 1
defaults: {user: %s}
hosts:
  edge: {address: 127.0.0.1, port: %d, identity_file: %s}
  mid: {address: 127.0.0.1, port: %d, identity_file: %s, jump: edge}
  app: {address: 127.0.0.1, port: %d, identity_file: %s, jump: mid}
  app1: {address: 127.0.0.1, port: %d, identity_file: %s, jump: edge}
`, user, edge.Port, edge.UserKey, mid.Port, mid.UserKey, app.Port, app.UserKey, app.Port, app.UserKey))
	for _, target := range []string{"app1", "app"} {
		t.Run(target, func(t *testing.T) {
			kh := filepath.Join(t.TempDir(), "known hosts") // a space, to be quoted
			writeFile(t, kh, knownHostsLine("127.0.0.1", edge.Port, edge.HostKey)+knownHostsLine("127.0.0.1", mid.Port, mid.HostKey))
			st := app.settings(inv)
			st.KnownHosts = []string{kh}
			err := runTrue(t, newPool(t, st), target, nil)
			var he *hostKeyError
			if !errors.As(err, &he) {
				t.Fatalf("err = %v; want an unknown host key", err)
			}
			msg := err.Error()
			_, rest, ok := strings.Cut(msg, "add the key with `")
			cmd, _, ok2 := strings.Cut(rest, "`")
			if !ok || !ok2 {
				t.Fatalf("no command in %q", msg)
			}
			// Verbatim, with no key of ssh's own and no terminal to ask on.
			sh := exec.Command("/bin/sh", "-c", cmd)
			sh.Env = append(os.Environ(), "HOME="+t.TempDir(), "SSH_AUTH_SOCK=")
			if out, err := sh.CombinedOutput(); err != nil {
				t.Fatalf("the advice %s fails: %v\n%s", cmd, err, out)
			}
			if err := runTrue(t, newPool(t, st), target, nil); err != nil {
				t.Fatalf("after the advice %s: %v", cmd, err)
			}
		})
	}
}

// TestChangedKeyTypeAdviceBehindJumpHost: a host behind a jump host that
// offers none of the key types known_hosts lists for it is told to check
// the new key with a scan made from the jump host, which, followed
// verbatim, shows the fingerprint of the server the run met, not that of
// whatever the inner address names here.
func TestChangedKeyTypeAdviceBehindJumpHost(t *testing.T) {
	tool(t, "ssh")
	tool(t, "ssh-keyscan")
	edge, app := startServer(t, serverOpts{}), startServer(t, serverOpts{})
	user := currentUser(t)
	inv := parseInventory(t, fmt.Sprintf(`version: 1
defaults: {user: %s}
hosts:
  edge: {address: 127.0.0.1, port: %d, identity_file: %s}
  app: {address: 127.0.0.1, port: %d, identity_file: %s, jump: edge}
`, user, edge.Port, edge.UserKey, app.Port, app.UserKey))
	kh := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, kh, knownHostsLine("127.0.0.1", edge.Port, edge.HostKey)+knownHostsLine("127.0.0.1", app.Port, otherKey(t, "ecdsa")))
	st := app.settings(inv)
	st.KnownHosts = []string{kh}
	err := runTrue(t, newPool(t, st), "app", nil)
	msg := fmt.Sprint(err)
	_, rest, ok := strings.Cut(msg, "with the host's owner (`")
	cmd, rest, ok2 := strings.Cut(rest, "`")
	if !ok || !ok2 || !strings.HasPrefix(rest, " (run from here: it scans from jump host edge") {
		t.Fatalf("err = %v; want a scan command run from jump host edge", err)
	}
	sh := exec.Command("/bin/sh", "-c", cmd)
	sh.Env = append(os.Environ(), "HOME="+t.TempDir(), "SSH_AUTH_SOCK=")
	out, err := sh.CombinedOutput()
	if fp := ssh.FingerprintSHA256(app.HostKey); err != nil || !strings.Contains(string(out), fp) {
		t.Fatalf("the advice %s: %v\n%s\nwant the fingerprint %s", cmd, err, out, fp)
	}
}
