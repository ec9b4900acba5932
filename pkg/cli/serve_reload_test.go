package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestServeKeysFIFOIsRefusedAtStart: --keys naming a FIFO is refused at
// once with exit 2, as --policy is, instead of serve waiting for a writer.
func TestServeKeysFIFOIsRefusedAtStart(t *testing.T) {
	f := newServeFixture(t)
	fifo := mkfifo(t, filepath.Join(f.dir, "keys.fifo"))
	// Released at the end should serve block on it, so that the test
	// fails instead of hanging.
	t.Cleanup(func() {
		if w, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			w.Close()
		}
	})
	runWithin(t, "serve", "--keys", fifo, "--state-dir", f.state, "--listen", "127.0.0.1:0").
		want(t, ExitUsage, nil, []string{fifo + ": cannot read the keys file: it is a named pipe (FIFO), not a regular file"})
}

// TestServeSIGHUPWithAKeysFIFOKeepsServing: a SIGHUP after the keys file
// was replaced by a FIFO keeps the previous keys, says why, and serve
// still stops on SIGTERM; it used to block in the reload, deaf to both.
func TestServeSIGHUPWithAKeysFIFOKeepsServing(t *testing.T) {
	f := newServeFixture(t)
	p, base := f.serve(t)
	if err := os.Remove(f.keys); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, f.keys)
	t.Cleanup(func() {
		if w, err := os.OpenFile(f.keys, os.O_RDWR, 0); err == nil {
			w.Close()
		}
	})
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: kept the previous")
	if want := f.keys + ": cannot read the keys file: it is a named pipe (FIFO), not a regular file"; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("no %q in\n%s", want, p.stderr.String())
	}
	if code, _ := apiCall(t, "GET", base+"/api/v1/playbooks", f.viewer, nil); code != 200 {
		t.Errorf("after the refused reload the keys stopped working: %d", code)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d\n%s", c, p.stderr.String())
	}
}

// TestServeSIGHUPLogNamesWhatItReloaded: the line of a successful reload
// names the keys file, the policy (its file, or the built-in one) and the
// playbooks' directory, so that whoever edited one sees it was taken in.
func TestServeSIGHUPLogNamesWhatItReloaded(t *testing.T) {
	for _, withPolicy := range []bool{true, false} {
		name := map[bool]string{true: "policy file", false: "built-in policy"}[withPolicy]
		t.Run(name, func(t *testing.T) {
			f := newServeFixture(t)
			var args []string
			policy := "the built-in policy"
			if withPolicy {
				pol := writePlaybook(t, f.dir, "policy.yaml", "version: 1\nroles:\n  ci: {inherits: [viewer]}\n")
				args = []string{"--policy", pol}
				policy = "the policy " + pol
			}
			p, _ := f.serve(t, args...)
			p.cmd.Process.Signal(syscall.SIGHUP)
			p.waitFor(t, "SIGHUP: reloaded")
			want := "SIGHUP: reloaded 2 keys from " + f.keys + ", " + policy + " and 3 playbooks from " + f.playbooks
			if !strings.Contains(p.stderr.String(), want) {
				t.Errorf("no %q in\n%s", want, p.stderr.String())
			}
			p.cmd.Process.Signal(syscall.SIGTERM)
			if c := p.wait(t); c != ExitOK {
				t.Errorf("exit %d\n%s", c, p.stderr.String())
			}
		})
	}
}

// TestServeSIGHUPReopensTheAuditLog: after the audit log is renamed away,
// as logrotate does by default, SIGHUP makes serve write a new one at its
// path; the lines before stay in the renamed file.
func TestServeSIGHUPReopensTheAuditLog(t *testing.T) {
	f := newServeFixture(t)
	p, base := f.serve(t)
	execute := func() {
		t.Helper()
		if code, out := apiCall(t, "POST", base+"/api/v1/operations/control.noop/execute", f.admin, map[string]any{}); code != 200 {
			t.Fatalf("execute: %d %v", code, out)
		}
	}
	execute()
	audit := filepath.Join(f.state, "audit.log")
	if err := os.Rename(audit, audit+".1"); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded")
	execute()
	for path, want := range map[string]int{audit + ".1": 1, audit: 1} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), `"op":"control.noop"`); n != want {
			t.Errorf("%s has %d execute lines, want %d:\n%s", path, n, want, b)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d\n%s", c, p.stderr.String())
	}
}
