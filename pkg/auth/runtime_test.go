package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestRunTimeDenials runs the real built-in operations under a policy and
// checks that their parameters are refused at run time, after
// interpolation: a path outside the roots (through a symlink too), an HTTP
// target that redirects to a denied address, a host name that resolves to
// loopback when loopback is denied, and a signal to a process arsenal-run
// did not start.
func TestRunTimeDenials(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	outside := filepath.Join(dir, "outside")
	for _, d := range []string{root, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, "ok.txt"), []byte("fine"), 0o644)
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/internal", http.StatusFound)
	}))
	defer public.Close()
	victim := exec.Command("sleep", "30")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { victim.Process.Kill(); victim.Wait() }()

	policy, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  tight:
    max_risk: destructive
    file_roots: [root]
    http: {deny_loopback: true}
    signal_others: false
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	pbPath := filepath.Join(dir, "pb.yaml")
	os.WriteFile(pbPath, []byte(`version: 1
name: runtime
inputs:
  pid: {type: integer}
  url: {type: string}
steps:
  - {id: read_ok, op: file.read, with: {path: root/ok.txt}, needs: []}
  - {id: read_outside, op: file.read, with: {path: outside/secret.txt}, needs: []}
  - {id: read_symlink, op: file.read, with: {path: root/escape/secret.txt}, needs: []}
  - {id: redirect, op: http.request, with: {url: "${{ inputs.url }}"}, needs: []}
  - {id: loopback_name, op: http.request, with: {url: "http://localhost:1/"}, needs: []}
  - {id: signal, op: process.signal, with: {pid: "${{ inputs.pid }}", signal: TERM}, needs: []}
`), 0o644)
	pb, err := steps.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := policy.Subject([]string{"tight"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.New(reg).Plan(pb).Run(context.Background(),
		map[string]any{"pid": victim.Process.Pid, "url": public.URL},
		engine.WithRunAuthorizer(NewAuthorizer(s)))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range rep.Steps {
		want := report.StatusDenied
		if st.ID == "read_ok" {
			want = report.StatusSucceeded
		}
		msg := ""
		if st.Error != nil {
			msg = st.Error.Class + ": " + st.Error.Message
		}
		if st.Status != want {
			t.Errorf("step %s: %s (%s), want %s", st.ID, st.Status, msg, want)
		}
	}
	if err := victim.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the process arsenal-run did not start was signalled: %v", err)
	}
}
