package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// otherKey returns a new public key of type typ (ed25519 or ecdsa).
func otherKey(t *testing.T, typ string) ssh.PublicKey {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other")
	if out, err := exec.Command(tool(t, "ssh-keygen"), "-q", "-t", typ, "-N", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	b, _ := os.ReadFile(path + ".pub")
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func mustHost(t *testing.T, inv *inventory.Inventory, name string) *inventory.Host {
	t.Helper()
	h, ok := inv.Host(name)
	if !ok {
		t.Fatalf("no host %s", name)
	}
	return h
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHostKeyNameCase: as OpenSSH does, the host name is lower-cased and
// a trailing dot dropped before it is checked and recorded, so that a
// changed key stays a changed key whatever the inventory's spelling, and
// accept-new never adds a second entry for the same host.
func TestHostKeyNameCase(t *testing.T) {
	srv := startServer(t, serverOpts{})
	inv := func(addr string) Settings {
		return srv.settings(parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: %s, port: %d, user: %s, identity_file: %s}\n",
			addr, srv.Port, currentUser(t), srv.UserKey)))
	}
	changed := filepath.Join(t.TempDir(), "known_hosts")
	old := knownHostsLine("localhost", srv.Port, otherKey(t, "ed25519"))
	writeFile(t, changed, old)
	for _, tc := range []struct {
		addr      string
		acceptNew bool
	}{{"LocalHost", true}, {"LOCALHOST", false}} {
		st := inv(tc.addr)
		st.KnownHosts, st.AcceptNew = []string{changed}, tc.acceptNew
		err := runTrue(t, newPool(t, st), "box", nil)
		var hk *hostKeyError
		if !errors.As(err, &hk) || !strings.Contains(err.Error(), fmt.Sprintf("HOST KEY CHANGED for box ([localhost]:%d)", srv.Port)) {
			t.Errorf("address %s, accept-new %v: %v; want HOST KEY CHANGED", tc.addr, tc.acceptNew, err)
		}
	}
	if b, _ := os.ReadFile(changed); string(b) != old {
		t.Errorf("known_hosts was changed:\n%s", b)
	}
	if srv.Logins() != 0 {
		t.Errorf("%d logins to a host whose key changed", srv.Logins())
	}

	// The resolver here does not read "localhost." in /etc/hosts: the
	// trailing dot is checked on its own.
	for in, want := range map[string]string{"Web.Example.COM.:22": "web.example.com:22", "[2001:DB8::1]:2222": "[2001:db8::1]:2222", "10.0.0.1:22": "10.0.0.1:22"} {
		if got := canonicalAddress(in); got != want {
			t.Errorf("canonicalAddress(%q) = %q, want %q", in, got, want)
		}
	}

	// accept-new records the canonical name, which later spellings find.
	kh := filepath.Join(t.TempDir(), "known_hosts")
	st := inv("LocalHost")
	st.KnownHosts, st.AcceptNew = []string{kh}, true
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(kh); string(b) != knownHostsLine("localhost", srv.Port, srv.HostKey) {
		t.Errorf("known_hosts after accept-new = %q", b)
	}
	// A pattern written in capitals matches too, as in OpenSSH.
	writeFile(t, kh, knownHostsLine("LocalHost", srv.Port, srv.HostKey))
	st = inv("localhost")
	st.KnownHosts = []string{kh}
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Errorf("[LocalHost] line for localhost: %v", err)
	}
}

// TestKnownHostsBadLine: a line that does not parse (a truncated key of
// another host) is skipped with one warning naming file:line, as OpenSSH
// skips it; the other lines still count, changed keys included.
func TestKnownHostsBadLine(t *testing.T) {
	srv := startServer(t, serverOpts{})
	inv := srv.inventory(t, "box")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	good, _ := os.ReadFile(srv.KnownHosts)
	bad := "other.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv\n"
	writeFile(t, kh, "# hosts\n"+bad+string(good))
	st := srv.settings(inv)
	st.KnownHosts = []string{kh}
	var mu sync.Mutex
	var warnings []string
	ctx := ops.WithCall(context.Background(), &ops.Call{Log: zerolog.Nop(), Message: func(level, text string) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, level+": "+text)
	}})
	p := newPool(t, st)
	for range 2 {
		if _, err := execute(t, ctx, p, "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}}); err != nil {
			t.Fatal(err)
		}
	}
	p.closeHost(mustHost(t, inv, "box"), errors.New("test"))
	if _, err := execute(t, ctx, p, "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "warn: known_hosts "+kh+":2 is skipped: ") || !strings.Contains(warnings[0], "fix or delete that line") {
		t.Errorf("warnings %q; want one naming %s:2", warnings, kh)
	}
	mu.Unlock()

	// The line after the bad one still counts: a changed key is refused
	// and named by its own line.
	writeFile(t, kh, bad+knownHostsLine("127.0.0.1", srv.Port, otherKey(t, "ed25519")))
	err := runTrue(t, newPool(t, st), "box", nil)
	if err == nil || !strings.Contains(err.Error(), "HOST KEY CHANGED") || !strings.Contains(err.Error(), kh+":2)") {
		t.Errorf("changed key after a bad line: %v", err)
	}

	// A host listed on a line that cannot be read is no new host:
	// accept-new does not take whatever key it offers, plain or hashed.
	for _, entry := range []string{fmt.Sprintf("[127.0.0.1]:%d", srv.Port), knownhosts.HashHostname(fmt.Sprintf("[127.0.0.1]:%d", srv.Port))} {
		truncated := entry + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv\n"
		writeFile(t, kh, truncated)
		st.AcceptNew = true
		err = runTrue(t, newPool(t, st), "box", nil)
		if err == nil || !strings.Contains(err.Error(), "is not added: known_hosts lists the host at "+kh+":1, on a line that cannot be read") {
			t.Errorf("accept-new over an unreadable line for the host (%s): %v", entry, err)
		}
		if data, _ := os.ReadFile(kh); string(data) != truncated {
			t.Errorf("known_hosts was changed: %q", data)
		}
	}
}

// TestHostKeyTypeMismatch: known_hosts lists a key of a type the server
// no longer offers; the message says which types on each side, where the
// listed key is, and what to do, not the library's negotiation error.
func TestHostKeyTypeMismatch(t *testing.T) {
	srv := startServer(t, serverOpts{})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, kh, knownHostsLine("127.0.0.1", srv.Port, otherKey(t, "ecdsa")))
	st := srv.settings(srv.inventory(t, "box"))
	st.KnownHosts = []string{kh}
	err := runTrue(t, newPool(t, st), "box", nil)
	for _, want := range []string{fmt.Sprintf("host key of box ([127.0.0.1]:%d)", srv.Port),
		"known_hosts lists only ecdsa-sha2-nistp256 (" + kh + ":1) for this host, but the server offers ssh-ed25519",
		"key may have changed", fmt.Sprintf("ssh-keygen -R '[127.0.0.1]:%d' -f %s", srv.Port, kh)} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("type mismatch: %v\nlacks %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "we offered") {
		t.Errorf("the library's error shows through: %v", err)
	}
	if c := ops.ClassOf(err); c != ops.ClassValidation {
		t.Errorf("type mismatch: class %s; want validation, which retry does not retry", c)
	}
}

// TestHostKeyAdvice: the unknown-host message names every file checked
// and gives a command that works when ~/.ssh does not exist; behind a
// jump host the key is scanned from the jump host; accept-new hashes its
// entry in a hashed file.
func TestHostKeyAdvice(t *testing.T) {
	srv := startServer(t, serverOpts{})
	inv := srv.inventory(t, "box")
	dir := t.TempDir()
	first, second := filepath.Join(dir, "ssh", "known_hosts"), filepath.Join(dir, "global")
	writeFile(t, second, "")
	st := srv.settings(inv)
	st.KnownHosts = []string{first, second}
	err := runTrue(t, newPool(t, st), "box", nil)
	for _, want := range []string{"not in " + first + " (which does not exist) or " + second + ";",
		fmt.Sprintf("`mkdir -p -m 700 %s && ssh-keyscan -p %d -t ssh-ed25519 127.0.0.1 >> %s`", filepath.Dir(first), srv.Port, first)} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("unknown host: %v\nlacks %q", err, want)
		}
	}

	jinv := parseInventory(t, fmt.Sprintf(`version: 1
defaults: {user: %s, identity_file: %s}
hosts:
  bastion: {address: 127.0.0.1, port: %d, jump: none}
  app: {address: 10.1.2.3, port: 2222, jump: bastion}
`, currentUser(t), srv.UserKey, srv.Port))
	kh := filepath.Join(dir, "kh")
	// The inner address cannot be reached from here: the message is
	// tested on its own.
	e := &hostKeyError{host: "app", address: "10.1.2.3:2222", offered: srv.HostKey, file: kh, jump: mustHost(t, jinv, "bastion")}
	want := fmt.Sprintf("`ssh -i %s -p %d %s@127.0.0.1 ssh-keyscan -p 2222 -t ssh-ed25519 10.1.2.3 >> %s` (run from here: it scans from jump host bastion", srv.UserKey, srv.Port, currentUser(t), kh)
	if !strings.Contains(e.Error(), want) {
		t.Errorf("behind a jump host: %v\nlacks %q", e, want)
	}
	// Behind a jump host that is itself behind others, the jump host is
	// reached through them, as the pool reaches it: its own address may
	// mean nothing from here either.
	cinv := parseInventory(t, `version: 1
defaults: {user: ops}
hosts:
  edge: {address: "2001:db8::1", port: 2200}
  dmz: {address: 192.0.2.7, jump: edge}
  inner: {address: 10.0.0.9, user: admin, port: 2022, jump: dmz}
  app: {address: 10.1.2.3, port: 2222, jump: inner}
`)
	e = &hostKeyError{host: "app", address: "10.1.2.3:2222", offered: srv.HostKey, file: kh, jump: mustHost(t, cinv, "inner")}
	want = fmt.Sprintf("`ssh -J ops@[2001:db8::1]:2200,ops@192.0.2.7:22 -p 2022 admin@10.0.0.9 ssh-keyscan -p 2222 -t ssh-ed25519 10.1.2.3 >> %s`", kh)
	if !strings.Contains(e.Error(), want) {
		t.Errorf("behind three jump hosts: %v\nlacks %q", e, want)
	}

	hashed := filepath.Join(dir, "hashed")
	writeFile(t, hashed, knownHostsLine("other.example.com", 22, otherKey(t, "ed25519")))
	if out, err := exec.Command(tool(t, "ssh-keygen"), "-H", "-f", hashed).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -H: %v %s", err, out)
	}
	st = srv.settings(inv)
	st.KnownHosts, st.AcceptNew = []string{hashed}, true
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(hashed)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "|1|") {
		t.Errorf("accept-new in a hashed file wrote %q; want a hashed entry", lines)
	}
	st.AcceptNew = false
	if err := runTrue(t, newPool(t, st), "box", nil); err != nil {
		t.Errorf("the hashed entry accept-new wrote: %v", err)
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"[127.0.0.1]:2222", "[127.0.0.1]:2222", true},
		{"[127.0.0.1]:2222", "1", false},
		{"*.example.com", "web.example.com", true},
		{"*.example.com", "example.com", false},
		{"web-?", "web-1", true},
		{"web-?", "web-12", false},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
	} {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}

// TestAcceptNewIsAnnounced: a key that accept-new trusts and records is
// announced once, as OpenSSH's "Permanently added" warning is, to the
// step's log and to the run's events: the host, its address, the key's
// type and fingerprint and the known_hosts file, so that a scheduled or
// served run leaves a trace of the key it decided to trust.
func TestAcceptNewIsAnnounced(t *testing.T) {
	srv := startServer(t, serverOpts{})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	st := srv.settings(srv.inventory(t, "box"))
	st.KnownHosts, st.AcceptNew = []string{kh}, true
	var mu sync.Mutex
	var events []string
	var log syncBuffer
	ctx := ops.WithCall(context.Background(), &ops.Call{Log: zerolog.New(&log), Message: func(level, text string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, level+": "+text)
	}})
	for range 2 { // a second pool finds the key recorded: nothing to say
		if _, err := execute(t, ctx, newPool(t, st), "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}}); err != nil {
			t.Fatal(err)
		}
	}
	address := fmt.Sprintf("[127.0.0.1]:%d", srv.Port)
	fp := ssh.FingerprintSHA256(srv.HostKey)
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 {
		t.Fatalf("events %q; want one", events)
	}
	for _, want := range []string{"warn: ", "Permanently added", "box", address, "ssh-ed25519", fp, kh} {
		if !strings.Contains(events[0], want) {
			t.Errorf("event %q lacks %q", events[0], want)
		}
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("log %q; want one line", lines)
	}
	for _, want := range []string{`"level":"warn"`, `"host":"box"`, `"address":"` + address + `"`, `"key_type":"ssh-ed25519"`, `"fingerprint":"` + fp + `"`, `"known_hosts":"` + kh + `"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line %s lacks %s", lines[0], want)
		}
	}
}

// TestKnownHostsCopyIsPrivate: a known_hosts file that needs cleaning is
// read through a copy, and the copy lies in the private runtime directory,
// never in the shared temporary directory, where another caller's
// file.write could swap in a forged key before it is read.
func TestKnownHostsCopyIsPrivate(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	kh := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, kh, "LocalHost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv\n"+knownHostsLine("Box.Example", 22, otherKey(t, "ed25519")))
	got, err := loadKnownHosts([]string{kh}, func(string, int, error) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.names) != 1 {
		t.Fatalf("copies %v; want one, of %s", got.names, kh)
	}
	for tmp := range got.names {
		if filepath.Dir(tmp) != fsroot.PrivateBase() {
			t.Errorf("the copy of %s is %s; want it in %s", kh, tmp, fsroot.PrivateBase())
		}
		if _, err := os.Stat(tmp); !os.IsNotExist(err) {
			t.Errorf("the copy %s is left behind (%v)", tmp, err)
		}
	}
}

// TestChangedKeyAdviceQuotesTheFile: the ssh-keygen -R command of a
// changed host key works pasted as it is when the known_hosts file's path
// holds a space.
func TestChangedKeyAdviceQuotesTheFile(t *testing.T) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"))
	if err != nil {
		t.Fatal(err)
	}
	e := &hostKeyError{host: "db", address: "db.example:22", offered: pub,
		want: []knownhosts.KnownKey{{Key: pub, Filename: "/home/on call/.ssh/known_hosts", Line: 3}}}
	if want := "`ssh-keygen -R 'db.example' -f '/home/on call/.ssh/known_hosts'`"; !strings.Contains(e.Error(), want) {
		t.Errorf("%s\nlacks %s", e.Error(), want)
	}
}
