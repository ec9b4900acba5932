package cli

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// TestServeWarnsOfExpiredKeys: serve says at start, and after a SIGHUP,
// which keys of its keys file have expired (every request with them is
// refused) and which expire within 7 days, instead of starting with
// "(1 key)" and nothing more when none of them can be used.
func TestServeWarnsOfExpiredKeys(t *testing.T) {
	f := newServeFixture(t)
	soon := time.Now().Add(3 * 24 * time.Hour).UTC().Truncate(time.Second)
	later := time.Now().Add(60 * 24 * time.Hour).UTC().Truncate(time.Second)
	write := func(entries ...string) {
		t.Helper()
		var b strings.Builder
		b.WriteString("version: 1\nkeys:\n")
		for i, e := range entries {
			_, digest, err := server.NewKey()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  - {name: k%d, sha256: %s, roles: [viewer]%s}\n", i+1, digest, e)
		}
		if err := os.WriteFile(f.keys, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(", expires: 2020-01-01", ", expires: "+soon.Format(time.RFC3339), ", expires: "+later.Format(time.RFC3339), "")
	p, _ := f.serve(t)
	for _, want := range []string{
		"1 key of the keys file " + f.keys + " expired, and requests with it are refused: k1 at 2020-01-01T00:00:00Z; make new keys with 'arsenal-run keys new",
		"1 key of the keys file " + f.keys + " will expire within 7 days: k2 at " + soon.Format(time.RFC3339) + "; replace it before then",
	} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("at start, no %q in\n%s", want, p.stderr.String())
		}
	}
	if strings.Contains(p.stderr.String(), "k3") {
		t.Errorf("a key 60 days from its end is warned of:\n%s", p.stderr.String())
	}

	write(", expires: 2020-01-01", ", expires: 2021-06-30T12:00:00Z")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded")
	want := "SIGHUP: every key of the keys file " + f.keys + " has expired, so no key is accepted: k1 at 2020-01-01T00:00:00Z, k2 at 2021-06-30T12:00:00Z"
	p.waitFor(t, want)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d\n%s", c, p.stderr.String())
	}
}

// TestServeWarnsOfAKeysFileWithNoEntry: a keys file that lists no key and
// no cert refuses every request; serve says so at start and after a
// SIGHUP, as it does when every key has expired.
func TestServeWarnsOfAKeysFileWithNoEntry(t *testing.T) {
	f := newServeFixture(t)
	if err := os.WriteFile(f.keys, []byte("version: 1\nkeys:\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, _ := f.serve(t)
	want := "the keys file " + f.keys + " has no keys and no certs, so every request is refused; add entries made with 'arsenal-run keys new"
	if !strings.Contains(p.stderr.String(), want) {
		t.Errorf("at start, no %q in\n%s", want, p.stderr.String())
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: "+want)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d\n%s", c, p.stderr.String())
	}
}
