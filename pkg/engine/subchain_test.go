package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestPlaybookRunChainRefusals: a run refuses a playbook.run cycle and a
// chain past MaxSubDepth at the step that closes it, as validate says it
// would: files are compared by their real path, so a symlink to a
// playbook of the chain closes the cycle at once rather than one playbook
// deeper, and the error is located at the step's path: with the chain
// and what to do.
func TestPlaybookRunChainRefusals(t *testing.T) {
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The paths are expressions, so that validation leaves the chains to
	// the run.
	self := write("self.yaml", `version: 1
name: self
steps:
  - id: again
    op: playbook.run
    with: {path: "${{ 'link.yaml' }}"}
`)
	if err := os.Symlink("self.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= MaxSubDepth; i++ {
		write("deep"+string(rune('0'+i))+".yaml", "version: 1\nname: deep\nsteps:\n  - id: next\n    op: playbook.run\n    with: {path: \"${{ 'deep"+string(rune('1'+i))+".yaml' }}\"}\n")
	}
	write("deep"+string(rune('0'+MaxSubDepth+1))+".yaml", "version: 1\nname: last\nsteps:\n  - {id: a, op: control.noop}\n")

	p, err := e.Load(self)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	again := stepOf(t, rep, "again")
	if again.Status != report.StatusFailed || again.Sub != nil || again.Error == nil {
		t.Fatalf("the step closing a cycle through a symlink: %s, sub %v, error %+v; want it failed before any sub-run", again.Status, again.Sub, again.Error)
	}
	want := self + ":6:18: " + self + " → link.yaml: a playbook.run cycle (link.yaml and " + self + " are one file): a playbook may not run itself"
	if !strings.HasPrefix(again.Error.Message, want) || !strings.Contains(again.Error.Message, "remove this step") {
		t.Errorf("cycle error:\n%s\nwant it to start\n%s", again.Error.Message, want)
	}

	p, err = e.Load(filepath.Join(dir, "deep0.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep = mustRun(t, p, nil)
	msg := ""
	if rep.Error != nil {
		msg = rep.Error.Message
	}
	last := filepath.Join(dir, "deep"+string(rune('0'+MaxSubDepth-1))+".yaml")
	for _, w := range []string{
		last + ":6:18: ",
		"deep0.yaml → deep1.yaml → ",
		"→ deep8.yaml: nested more than 8 deep: this playbook.run would nest 9 playbooks, past the 8 a run allows; call deep8.yaml from a playbook higher in the chain",
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("depth error:\n%s\nwant it to hold %q", msg, w)
		}
	}
}

// TestPlaybookRunCycleLiteralPath: with a literal path, the commonest way
// to write one, the run's cycle error is located at the path's value, as
// validate locates it, not at the with: mapping around it.
func TestPlaybookRunCycleLiteralPath(t *testing.T) {
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	for name, next := range map[string]string{"a.yaml": "b.yaml", "b.yaml": "a.yaml"} {
		src := "version: 1\nname: " + name[:1] + "\nsteps:\n  - id: call\n    op: playbook.run\n    with: {path: " + next + "}\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	msg := ""
	if rep.Error != nil {
		msg = rep.Error.Message
	}
	want := filepath.Join(dir, "b.yaml") + ":6:18: " + a + " → b.yaml → a.yaml: a playbook.run cycle"
	if !strings.Contains(msg, want) {
		t.Errorf("cycle error:\n%s\nwant it to hold %q", msg, want)
	}
}
