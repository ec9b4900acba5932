package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSelectionOfANestedStepNamesItsStep: the report, JUnit and history
// name a sub-playbook's step by its path ("deploy/migrate", an item's
// "fan[b]/say"), and someone who copies that name into --only or --from
// is told which top-level step runs it, instead of only the list of the
// top-level steps.
func TestSelectionOfANestedStepNamesItsStep(t *testing.T) {
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"sub.yaml": "version: 1\nname: sub\nsteps:\n  - {id: migrate, op: control.log, with: {message: hi}}\n",
		"pb.yaml": `version: 1
name: top
steps:
  - {id: deploy, op: playbook.run, with: {path: sub.yaml}}
  - {id: fan, op: playbook.run, foreach: [a, b], with: {path: sub.yaml}}
  - {id: note, op: control.log, with: {message: hi}}
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Load(filepath.Join(dir, "pb.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sel  Selection
		want string
	}{
		{Selection{Only: []string{"deploy/migrate"}}, `"deploy/migrate" is a step of the sub-playbook step deploy runs; --from and --only pick the playbook's own steps: --only deploy runs that sub-playbook again from its start`},
		{Selection{From: "fan[b]/migrate"}, `"fan[b]/migrate" is a step of the sub-playbook step fan runs; --from and --only pick the playbook's own steps: --from fan runs that sub-playbook again from its start`},
		{Selection{Only: []string{"fan[b]"}}, `"fan[b]" is an item of step fan; --from and --only pick whole steps: --only fan runs every item`},
		{Selection{Only: []string{"note/x"}}, `no step "note/x"`},
	} {
		err := p.CheckPartial(c.sel, nil, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant …%s…", c.sel, err, c.want)
		}
	}
}
