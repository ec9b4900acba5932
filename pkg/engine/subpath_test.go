package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// rootsScope is a scope that allows file access under roots only.
type rootsScope struct{ roots []string }

func (s rootsScope) FileRoots() []string { return s.roots }

// scoped is an authorizer that allows everything with a fixed scope.
type scoped struct{ scope any }

func (a scoped) Authorize(_ context.Context, c *Call) error {
	c.Scope = a.scope
	return nil
}

// TestPlaybookRunStaysInRoots checks that playbook.run reads a
// sub-playbook only from the caller's file roots or the calling
// playbook's directory tree, and that refusing one shows nothing of it.
func TestPlaybookRunStaysInRoots(t *testing.T) {
	base := t.TempDir()
	dir, data, outside := filepath.Join(base, "playbooks"), filepath.Join(base, "data"), filepath.Join(base, "outside")
	for _, d := range []string{dir, data, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, src string) {
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	child := "version: 1\nname: child\nsteps:\n  - {id: a, op: control.noop}\n"
	write(filepath.Join(dir, "child.yaml"), child)
	write(filepath.Join(data, "shared.yaml"), child)
	write(filepath.Join(outside, "secret.yaml"), "root:x:0:0:top-secret-content\n")
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(dir, "parent.yaml")
	write(parent, `version: 1
name: parent
steps:
  - {id: beside, needs: [], op: playbook.run, continue_on_error: true, with: {path: child.yaml}}
  - {id: in_roots, needs: [], op: playbook.run, continue_on_error: true, with: {path: `+filepath.Join(data, "shared.yaml")+`}}
  - {id: passwd, needs: [], op: playbook.run, continue_on_error: true, with: {path: /etc/passwd}}
  - {id: outside, needs: [], op: playbook.run, continue_on_error: true, with: {path: ../outside/secret.yaml}}
  - {id: link, needs: [], op: playbook.run, continue_on_error: true, with: {path: link.yaml}}
  - {id: fifo, needs: [], op: playbook.run, continue_on_error: true, with: {path: fifo.yaml}}
`)
	for name, scope := range map[string]any{"with file_roots": rootsScope{[]string{data}}, "with no file access": rootsScope{[]string{}}} {
		t.Run(name, func(t *testing.T) {
			e := New(registry(t), WithAuthorizer(scoped{scope}))
			if err := RegisterPlaybookOp(e); err != nil {
				t.Fatal(err)
			}
			p, err := e.Load(parent)
			if err != nil {
				t.Fatal(err)
			}
			rep := mustRun(t, p, nil)
			all := dump(rep)
			if strings.Contains(all, "top-secret") || strings.Contains(all, "root:x") {
				t.Errorf("the report shows the content of a file the caller may not read:\n%s", all)
			}
			if s := stepOf(t, rep, "beside"); s.Status != "succeeded" {
				t.Errorf("a sub-playbook beside the caller: %s %+v", s.Status, s.Error)
			}
			s := stepOf(t, rep, "in_roots")
			switch {
			case name == "with file_roots" && s.Status != "succeeded":
				t.Errorf("a sub-playbook in the file roots: %s %+v", s.Status, s.Error)
			case name == "with no file access" && (s.Error == nil || s.Error.Class != "authorization"):
				t.Errorf("a sub-playbook outside the caller's (empty) roots: %s %+v", s.Status, s.Error)
			}
			for _, id := range []string{"passwd", "outside", "link"} {
				s := stepOf(t, rep, id)
				if s.Error == nil || s.Error.Class != "authorization" || !strings.Contains(s.Error.Message, "outside the allowed roots") {
					t.Errorf("%s: %s %+v, want an authorization error naming the roots", id, s.Status, s.Error)
				}
			}
			if s := stepOf(t, rep, "fifo"); s.Error == nil || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, "not a regular file") {
				t.Errorf("fifo: %s %+v", s.Status, s.Error)
			}
		})
	}
}
