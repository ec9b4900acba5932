package cli

import (
	"fmt"
	"net/http"
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
		want(t, ExitUsage, nil, []string{hello + ": the playbook's mode 0666 lets every user of this host write it", "chmod go-w " + hello})
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
	if want := hello + ": the playbook's mode 0666"; !strings.Contains(p.stderr.String(), want) {
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

// TestServeRunRefusesFilesSwappableSinceStart: the sub-playbooks, env
// files and input files a served playbook reads are read again by each
// run, with its caller's roles; one another user could swap since start
// (a directory made 0777, a file made 0666) is refused by the run, named,
// with the chmod that fixes it, and the swapped content never runs.
func TestServeRunRefusesFilesSwappableSinceStart(t *testing.T) {
	f := newServeFixture(t)
	shared := filepath.Join(f.playbooks, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, shared, "sub.yaml", "version: 1\nname: sub\nsteps:\n  - {id: a, op: control.noop}\n")
	envFile := filepath.Join(f.playbooks, "calls.env")
	if err := os.WriteFile(envFile, []byte("WHO=author\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, f.playbooks, "calls.yaml", `version: 1
name: calls
steps:
  - {id: literal, op: playbook.run, with: {path: shared/sub.yaml}}
`)
	writePlaybook(t, f.playbooks, "env.yaml", `version: 1
name: env
env_file: calls.env
inputs:
  who: {type: string, env: WHO}
steps:
  - {id: a, op: control.noop}
`)
	p, base := f.serve(t)
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.wait(t)
	}()
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	code, body := apiCall(t, "POST", base+"/api/v1/playbooks/calls/runs?wait=30s", f.admin, map[string]any{})
	if msg := fmt.Sprint(body); code != http.StatusOK || body["status"] != "failed" ||
		!strings.Contains(msg, "the sub-playbook is in "+shared+", a directory every user of this host may write (mode 0777)") ||
		!strings.Contains(msg, "chmod o-w "+shared) {
		t.Errorf("a sub-playbook in a directory made 0777: %d %s", code, msg)
	}
	if err := os.Chmod(envFile, 0o666); err != nil {
		t.Fatal(err)
	}
	code, body = apiCall(t, "POST", base+"/api/v1/playbooks/env/runs?wait=30s", f.admin, map[string]any{})
	if msg := fmt.Sprint(body); code != http.StatusBadRequest ||
		!strings.Contains(msg, "env_file calls.env: the env file's mode 0666 lets every user of this host write it") ||
		!strings.Contains(msg, "chmod go-w "+envFile) {
		t.Errorf("an env file made 0666: %d %s", code, msg)
	}
}
