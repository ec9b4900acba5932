package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestPreflightSubPlaybookOutsideRoots checks that preflight reads a
// sub-playbook only inside the caller's file roots or the calling
// playbook's directory: one elsewhere denies the step, and nothing of the
// file shows.
func TestPreflightSubPlaybookOutsideRoots(t *testing.T) {
	reg := testRegistry(t)
	e := engine.New(reg)
	if err := engine.RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	dir, outside := filepath.Join(base, "pb"), filepath.Join(base, "outside")
	os.Mkdir(outside, 0o755)
	writeFile(t, outside, "secret.yaml", "root:x:0:0:top-secret-content\n")
	writeFile(t, dir, "child.yaml", "version: 1\nname: child\nsteps:\n  - {id: a, op: control.noop}\n")
	pbPath := writeFile(t, dir, "pb.yaml", `version: 1
name: t
steps:
  - {id: beside, op: playbook.run, with: {path: child.yaml}}
  - {id: passwd, op: playbook.run, with: {path: /etc/passwd}}
  - {id: secret, op: playbook.run, with: {path: ../outside/secret.yaml}}
`)
	pb, err := steps.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(base, "policy.yaml"), []byte(`version: 1
roles:
  ops: {allow: ["*"], file_roots: [data]}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Preflight([]string{"ops"}, pb, reg)
	if err != nil {
		t.Fatalf("preflight: %v", err)
	}
	got := map[string]bool{}
	for _, d := range ds {
		got[d.Step] = d.Decision.Allowed
		if strings.Contains(d.Decision.Rule, "top-secret") || strings.Contains(d.Decision.Rule, "root:x") {
			t.Errorf("%s: the rule shows the file's content: %s", d.Step, d.Decision.Rule)
		}
		if !d.Decision.Allowed && !strings.Contains(d.Decision.Rule, "outside the allowed roots") {
			t.Errorf("%s: rule %q, want it to name the roots", d.Step, d.Decision.Rule)
		}
	}
	want := map[string]bool{"beside": true, "beside/a": true, "passwd": false, "secret": false}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: allowed=%v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
