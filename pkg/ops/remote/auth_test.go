package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func runTrue(t *testing.T, pool *Pool, host string, extra map[string]any) error {
	t.Helper()
	params := map[string]any{"host": host, "command": []any{"true"}}
	for k, v := range extra {
		params[k] = v
	}
	_, err := execute(t, context.Background(), pool, "ssh.exec", params)
	return err
}

// TestHostKeys checks known_hosts: an unknown host is refused with the way
// to add it; accept-new adds it (as [127.0.0.1]:port) and later pools
// trust it; a changed key is refused, with or without accept-new. Both
// refusals have class validation, so that retry does not try again.
func TestHostKeys(t *testing.T) {
	srv := startServer(t, serverOpts{})
	inv := srv.inventory(t, "box")
	kh := filepath.Join(t.TempDir(), "ssh", "known_hosts") // its directory does not exist yet
	st := srv.settings(inv)
	st.KnownHosts = []string{kh}

	err := runTrue(t, newPool(t, st), "box", nil)
	var hk *hostKeyError
	if !errors.As(err, &hk) || ops.ClassOf(err) != ops.ClassValidation {
		t.Fatalf("unknown host: %v (class %s)", err, ops.ClassOf(err))
	}
	for _, want := range []string{"host key of box ([127.0.0.1]:", "is unknown", ssh.FingerprintSHA256(srv.HostKey),
		fmt.Sprintf("ssh-keyscan -p %d -t ssh-ed25519 127.0.0.1 >> %s", srv.Port, kh), "accept-new"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("unknown host: %q lacks %q", err, want)
		}
	}
	if srv.Logins() != 0 {
		t.Error("logged in to a host whose key is unknown")
	}

	st.AcceptNew = true
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Fatalf("accept-new: %v", err)
	}
	b, err := os.ReadFile(kh)
	if want := knownHostsLine("127.0.0.1", srv.Port, srv.HostKey); err != nil || string(b) != want {
		t.Errorf("known_hosts after accept-new = %q, %v; want %q", b, err, want)
	}
	st.AcceptNew = false
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Errorf("the key accepted before: %v", err)
	}

	// The same address and port, another key: refused, even with
	// accept-new, and known_hosts is left alone.
	other := filepath.Join(t.TempDir(), "other")
	keygen(t, other, "")
	otherPub, _ := os.ReadFile(other + ".pub")
	pub, _, _, _, _ := ssh.ParseAuthorizedKey(otherPub)
	changed := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(changed, []byte("# comment\n"+knownHostsLine("127.0.0.1", srv.Port, pub)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, acceptNew := range []bool{false, true} {
		st := srv.settings(inv)
		st.KnownHosts, st.AcceptNew = []string{changed}, acceptNew
		err := runTrue(t, newPool(t, st), "box", nil)
		if !errors.As(err, &hk) || ops.ClassOf(err) != ops.ClassValidation {
			t.Fatalf("changed key, accept-new %v: %v (class %s)", acceptNew, err, ops.ClassOf(err))
		}
		for _, want := range []string{"HOST KEY CHANGED for box", ssh.FingerprintSHA256(pub) + " (" + changed + ":2)",
			fmt.Sprintf("ssh-keygen -R '[127.0.0.1]:%d' -f %s", srv.Port, changed), "accept-new never replaces a key"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("changed key: %q lacks %q", err, want)
			}
		}
	}
	if b, _ := os.ReadFile(changed); strings.Count(string(b), "\n") != 2 {
		t.Errorf("known_hosts was changed: %q", b)
	}
	if srv.Logins() != 2 {
		t.Errorf("%d logins; want only the two with a trusted key", srv.Logins())
	}

	// Hashed host names (ssh-keygen -H) are understood.
	hashed := filepath.Join(t.TempDir(), "hashed")
	if err := os.WriteFile(hashed, []byte(knownHostsLine("127.0.0.1", srv.Port, srv.HostKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool(t, "ssh-keygen"), "-H", "-f", hashed).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -H: %v %s", err, out)
	}
	if b, _ := os.ReadFile(hashed); !strings.HasPrefix(string(b), "|1|") {
		t.Fatalf("not hashed: %q", b)
	}
	st = srv.settings(inv)
	st.KnownHosts = []string{hashed}
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Errorf("hashed known_hosts: %v", err)
	}
}

// TestAgentAuth logs in with a key held by a real ssh-agent, the host
// naming no identity file; without the agent the error says what to do.
func TestAgentAuth(t *testing.T) {
	srv := startServer(t, serverOpts{})
	agentBin, addBin := tool(t, "ssh-agent"), tool(t, "ssh-add")
	// A short path: unix socket paths are limited to about 100 bytes.
	sockDir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "s")
	agent := exec.Command(agentBin, "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { agent.Process.Kill(); agent.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent did not create its socket")
		}
		time.Sleep(20 * time.Millisecond)
	}
	add := exec.Command(addBin, srv.UserKey)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v %s", err, out)
	}
	home := t.TempDir() // no ~/.ssh/id_* to fall back on
	t.Setenv("HOME", home)
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s}\n", srv.Port, currentUser(t)))
	st := srv.settings(inv)
	st.Agent = ""
	t.Setenv("SSH_AUTH_SOCK", sock)
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Fatalf("agent login: %v", err)
	}
	st.Agent = "none"
	err = runTrue(t, newPool(t, st), "box", nil)
	if err == nil || !strings.Contains(err.Error(), "no key to log in to box with: the agent is turned off") {
		t.Errorf("no agent: %v", err)
	}
	// An agent holding a key the server does not accept.
	other := filepath.Join(t.TempDir(), "other")
	keygen(t, other, "")
	del := exec.Command(addBin, "-D")
	del.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	add = exec.Command(addBin, other)
	add.Env = del.Env
	if out, err := del.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add -D: %v %s", err, out)
	}
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v %s", err, out)
	}
	st.Agent = sock
	err = runTrue(t, newPool(t, st), "box", nil)
	var le *loginError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "accepted none of the keys offered") {
		t.Errorf("refused key: %v", err)
	}
}

// TestCertificateAuth logs in with an OpenSSH user certificate found beside
// the identity file, to a server that trusts only the certificate
// authority.
func TestCertificateAuth(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca")
	keygen(t, ca, "")
	srv := startServer(t, serverOpts{NoAuthKey: true, Config: "TrustedUserCAKeys " + ca + ".pub"})
	key := filepath.Join(dir, "id")
	keygen(t, key, "")
	if err := runTrue(t, newPool(t, srv.settings(parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", srv.Port, currentUser(t), key)))), "box", nil); err == nil {
		t.Fatal("logged in without a certificate to a server that trusts only its CA")
	}
	if out, err := exec.Command(tool(t, "ssh-keygen"), "-q", "-s", ca, "-I", "test", "-n", currentUser(t), "-V", "-5m:+1h", key+".pub").CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -s: %v %s", err, out)
	}
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", srv.Port, currentUser(t), key))
	if err := runTrue(t, newPool(t, srv.settings(inv)), "box", nil); err != nil {
		t.Fatalf("certificate login: %v\n%s", err, srv.Log.String())
	}
	if !strings.Contains(srv.Log.String(), "ED25519-CERT") || !strings.Contains(srv.Log.String(), "ID test") {
		t.Errorf("sshd did not log a certificate login:\n%s", srv.Log.String())
	}
	// certificate_file names it explicitly.
	moved := filepath.Join(dir, "cert.pub")
	if err := os.Rename(key+"-cert.pub", moved); err != nil {
		t.Fatal(err)
	}
	inv = parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s, certificate_file: %s}\n", srv.Port, currentUser(t), key, moved))
	if err := runTrue(t, newPool(t, srv.settings(inv)), "box", nil); err != nil {
		t.Errorf("certificate_file: %v", err)
	}
}

// TestEncryptedKey logs in with a key protected by a passphrase given in
// key_passphrase, and explains a missing or wrong one.
func TestEncryptedKey(t *testing.T) {
	srv := startServer(t, serverOpts{})
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "s3cret passphrase")
	pub, _ := os.ReadFile(key + ".pub")
	if err := os.WriteFile(filepath.Join(srv.Dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", srv.Port, currentUser(t), key))
	st := srv.settings(inv)
	if err := runTrue(t, newPool(t, st), "box", nil); err == nil || !strings.Contains(err.Error(), "is encrypted; give its passphrase in key_passphrase") || ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("no passphrase: %v (class %s)", err, ops.ClassOf(err))
	}
	if err := runTrue(t, newPool(t, st), "box", map[string]any{"key_passphrase": "wrong"}); err == nil || !strings.Contains(err.Error(), "the passphrase in key_passphrase is wrong") {
		t.Errorf("wrong passphrase: %v", err)
	}
	if err := runTrue(t, newPool(t, st), "box", map[string]any{"key_passphrase": "s3cret passphrase"}); err != nil {
		t.Errorf("passphrase: %v", err)
	}
}

// TestHostCertificate connects to an sshd that presents a host
// certificate. With an @cert-authority line for its CA, the certificate is
// trusted; without one, its certified key is checked as a plain host key,
// as OpenSSH does: unknown (with the ssh-keyscan advice), added by
// accept-new, then known. A certificate from a CA known_hosts does not
// name for the host stays refused when the plain key is not listed.
func TestHostCertificate(t *testing.T) {
	srv := startServer(t, serverOpts{})
	ca := filepath.Join(t.TempDir(), "host_ca")
	keygen(t, ca, "")
	hostPub := filepath.Join(srv.Dir, "host_key.pub")
	if out, err := exec.Command(tool(t, "ssh-keygen"), "-q", "-s", ca, "-h", "-I", "box", "-n", "127.0.0.1", hostPub).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -s: %v %s", err, out)
	}
	cfg, err := os.ReadFile(srv.CfgFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, fmt.Sprintf("HostCertificate %s/host_key-cert.pub\n", srv.Dir)...)
	if err := os.WriteFile(srv.CfgFile, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	srv.Launch(t)
	inv := srv.inventory(t, "box")

	caPub, err := os.ReadFile(ca + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	trusted := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(trusted, append([]byte(fmt.Sprintf("@cert-authority [127.0.0.1]:%d ", srv.Port)), caPub...), 0o600); err != nil {
		t.Fatal(err)
	}
	st := srv.settings(inv)
	st.KnownHosts = []string{trusted}
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Fatalf("certificate from a CA known_hosts names: %v", err)
	}

	kh := filepath.Join(t.TempDir(), "known_hosts")
	st = srv.settings(inv)
	st.KnownHosts = []string{kh}
	err = runTrue(t, newPool(t, st), "box", nil)
	var hk *hostKeyError
	if !errors.As(err, &hk) || !strings.Contains(err.Error(), "is unknown") ||
		!strings.Contains(err.Error(), fmt.Sprintf("ssh-keyscan -p %d -t ssh-ed25519 127.0.0.1", srv.Port)) {
		t.Fatalf("certificate, no CA, unknown key: %v", err)
	}
	st.AcceptNew = true
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Fatalf("accept-new of a host with a certificate: %v", err)
	}
	if b, _ := os.ReadFile(kh); string(b) != knownHostsLine("127.0.0.1", srv.Port, srv.HostKey) {
		t.Errorf("known_hosts after accept-new = %q; want the plain host key", b)
	}
	st.AcceptNew = false
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Errorf("the key accepted before: %v", err)
	}
}

// TestIdentityFileChecks: a private key others may read is refused, as
// OpenSSH refuses it, with the fix; a public key given as identity_file
// is named as such, with the private key to give instead.
func TestIdentityFileChecks(t *testing.T) {
	srv := startServer(t, serverOpts{})
	if err := os.Chmod(srv.UserKey, 0o644); err != nil {
		t.Fatal(err)
	}
	err := runTrue(t, newPool(t, srv.settings(srv.inventory(t, "box"))), "box", nil)
	for _, want := range []string{"identity file " + srv.UserKey + " has mode 0644", "UNPROTECTED PRIVATE KEY FILE", "`chmod 600 " + srv.UserKey + "`"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("key mode 0644: %v\nlacks %q", err, want)
		}
	}
	if srv.Logins() != 0 {
		t.Error("logged in with an unprotected key")
	}
	if err := os.Chmod(srv.UserKey, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = loadIdentity(srv.UserKey+".pub", "", "", agentKeyring{}, false)
	if err == nil || !strings.Contains(err.Error(), "identity file "+srv.UserKey+".pub is a public key; set identity_file to the private key ("+srv.UserKey+"), not its .pub") {
		t.Errorf("public key as identity file: %v", err)
	}
}

// TestPasswordOnlyServer: a server that offers no public-key login (only
// passwords) is named as such, with what to change on the host, not taken
// for one that refused the keys.
func TestPasswordOnlyServer(t *testing.T) {
	srv := startServer(t, serverOpts{Config: "PubkeyAuthentication no\nPasswordAuthentication yes"})
	err := runTrue(t, newPool(t, srv.settings(srv.inventory(t, "box"))), "box", nil)
	var le *loginError
	if !errors.As(err, &le) || ops.ClassOf(err) != ops.ClassExecution {
		t.Fatalf("err = %v (class %s); want a refused login", err, ops.ClassOf(err))
	}
	for _, want := range []string{"does not offer public-key login to " + currentUser(t), "PubkeyAuthentication yes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "accepted none of the keys") {
		t.Errorf("err = %v\nwant no mention of refused keys: none was asked for", err)
	}
}

// TestExpiredCertificate: a server that refuses a login whose only way in
// is a certificate that expired (or names other principals) is refused
// with that certificate named, not only with the keys to check.
func TestExpiredCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca")
	keygen(t, ca, "")
	srv := startServer(t, serverOpts{NoAuthKey: true, Config: "TrustedUserCAKeys " + ca + ".pub"})
	key := filepath.Join(dir, "id")
	keygen(t, key, "")
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", srv.Port, currentUser(t), key))
	for _, c := range []struct{ validity, principal, want string }{
		{"20200101:20200102", currentUser(t), `the certificate "test" (` + key + `-cert.pub) expired at 2020-01-0`},
		{"-5m:+1h", "someone-else", `is for the principals someone-else, not ` + currentUser(t)},
	} {
		if out, err := exec.Command(tool(t, "ssh-keygen"), "-q", "-s", ca, "-I", "test", "-n", c.principal, "-V", c.validity, key+".pub").CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -s: %v %s", err, out)
		}
		err := runTrue(t, newPool(t, srv.settings(inv)), "box", nil)
		var le *loginError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("certificate %s for %s: %v\nwant a refused login containing %q", c.validity, c.principal, err, c.want)
		}
	}
}

// TestMissingIdentityFile: an identity_file that does not exist is
// refused with the host, where the inventory names it, and what to do.
func TestMissingIdentityFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nokey")
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  web-1: {address: 127.0.0.1}\n  box: {address: 127.0.0.1, identity_file: %s}\n", missing))
	p := newPool(t, Settings{Inventory: inv, Agent: "none"})
	h, err := inv.Resolve("box")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = p.signers(h, authOpts{})
	for _, want := range []string{"identity file " + missing + ": no such file", "identity_file of host box at test-inventory.yaml:4", "ssh-keygen -t ed25519 -f " + missing} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}
}
