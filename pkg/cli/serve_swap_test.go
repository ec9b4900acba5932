package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestServeRefusesAPlaybookAnotherUserCouldSwap: a playbook serve runs
// with its callers' roles and its schedule's, so one every user of the
// host may write, or a playbooks directory they all may write, is refused
// at start with the chmod that fixes it; after a SIGHUP the playbooks in
// force are kept and the refused file is named.
func TestServeRefusesAPlaybookAnotherUserCouldSwap(t *testing.T) {
	f := newServeFixture(t)
	hello := filepath.Join(f.playbooks, "hello.yaml")
	if err := os.Chmod(hello, 0o666); err != nil {
		t.Fatal(err)
	}
	runWithin(t, "serve", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state, "--listen", "127.0.0.1:0").
		want(t, ExitUsage, nil, []string{hello + ":1:1: the playbook's mode 0666 lets every user of this host write it", "chmod go-w " + hello})
	if err := os.Chmod(hello, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.playbooks, 0o777); err != nil {
		t.Fatal(err)
	}
	runWithin(t, "serve", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state, "--listen", "127.0.0.1:0").
		want(t, ExitUsage, nil, []string{"--playbooks " + f.playbooks + ": the playbooks directory's mode 0777 lets every user of this host write it", "chmod go-w " + f.playbooks})
	if err := os.Chmod(f.playbooks, 0o755); err != nil {
		t.Fatal(err)
	}

	p, base := f.serve(t)
	if err := os.Chmod(hello, 0o666); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: kept the previous")
	if want := hello + ":1:1: the playbook's mode 0666"; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("no %q in\n%s", want, p.stderr.String())
	}
	if code, out := apiCall(t, "GET", base+"/api/v1/playbooks/hello", f.viewer, nil); code != 200 {
		t.Errorf("after the refused reload hello is gone: %d %v", code, out)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d\n%s", c, p.stderr.String())
	}
}
