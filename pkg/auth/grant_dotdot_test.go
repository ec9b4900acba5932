package auth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestGrantNotThroughSymlinkDotDot: a path such as
// runbooks/../../mine/link/../../../runbooks/restart.yaml reads as the
// granted runbook once ".." is taken away by its text, but the kernel
// follows the symlink link first and its ".." climb from where the link
// leads, into a tree the caller writes. The grant must not go with a file
// other than the one it names: loaded by such a path, the playbook is the
// granted runbook itself, or it gets no grant.
func TestGrantNotThroughSymlinkDotDot(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("srv/runbooks/restart.yaml", `version: 1
name: restart
steps:
  - {id: hello, op: control.log, with: {message: approved}}
`)
	// The caller's own tree: a file at the same place under it, and a
	// symlink three levels deep into it.
	write("home/att/srv/runbooks/restart.yaml", `version: 1
name: restart
steps:
  - {id: evil, op: shell.exec, with: {command: ["true"]}}
`)
	if err := os.MkdirAll(filepath.Join(dir, "home/att/a/b/c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "home/att/a/b/c"), filepath.Join(dir, "home/att/link")); err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    inherits: [viewer]
    playbooks: [{path: srv/runbooks/restart.yaml, as: admin}]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	path := dir + "/srv/runbooks/../../home/att/link/../../../srv/runbooks/restart.yaml" // not Join, which cleans it
	pb, err := steps.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Preflight([]string{"oncall"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Op == "shell.exec" && d.Decision.Allowed {
			t.Errorf("step %s (%s) of %s, loaded by %s, is allowed by %q via %q: the grant of %s went with another file",
				d.Step, d.Op, pb.AbsPath(), path, d.Decision.Rule, d.Decision.Via, filepath.Join(dir, "srv/runbooks/restart.yaml"))
		}
	}
}
