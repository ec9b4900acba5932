package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSubPlaybookFromFileStaysInRoots checks that a sub-playbook read
// from the caller's file roots, outside the calling playbook's directory
// tree, reads its inputs' from_file only inside those roots, and so does
// every sub-playbook it runs: the caller may have written it, and the
// runner reads from_file with its own rights. A sub-playbook beside its
// caller reads from_file as the caller does.
func TestSubPlaybookFromFileStaysInRoots(t *testing.T) {
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
	secret := filepath.Join(outside, "db-password")
	write(secret, "top-secret-db-password\n")
	write(filepath.Join(data, "value.txt"), "in-roots-value\n")
	reader := func(name, from string) string {
		return "version: 1\nname: " + name + "\ninputs:\n  x: {type: string, default: fallback, from_file: " + from + "}\n" +
			"steps:\n  - {id: a, op: control.noop}\noutputs:\n  x: \"${{ inputs.x }}\"\n"
	}
	write(filepath.Join(dir, "beside.yaml"), reader("beside", secret))
	write(filepath.Join(data, "planted.yaml"), reader("planted", secret))
	write(filepath.Join(data, "inroots.yaml"), reader("inroots", "value.txt"))
	write(filepath.Join(data, "missing.yaml"), reader("missing", "nothing-here.txt"))
	write(filepath.Join(data, "next.yaml"), reader("next", secret))
	write(filepath.Join(data, "chain.yaml"), "version: 1\nname: chain\nsteps:\n  - {id: next, op: playbook.run, with: {path: next.yaml}}\n")
	parent := filepath.Join(dir, "parent.yaml")
	write(parent, `version: 1
name: parent
inputs:
  where: {type: string, default: `+data+`}
steps:
  - {id: beside, needs: [], op: playbook.run, continue_on_error: true, with: {path: beside.yaml}}
  - {id: planted, needs: [], op: playbook.run, continue_on_error: true, with: {path: "${{ inputs.where }}/planted.yaml"}}
  - {id: inroots, needs: [], op: playbook.run, continue_on_error: true, with: {path: "${{ inputs.where }}/inroots.yaml"}}
  - {id: missing, needs: [], op: playbook.run, continue_on_error: true, with: {path: "${{ inputs.where }}/missing.yaml"}}
  - {id: chain, needs: [], op: playbook.run, continue_on_error: true, with: {path: "${{ inputs.where }}/chain.yaml"}}
`)
	e := New(registry(t), WithAuthorizer(scoped{rootsScope{[]string{data}}}))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	got := func(id string) any {
		s := stepOf(t, rep, id)
		out, _ := s.Output.(map[string]any)
		outputs, _ := out["outputs"].(map[string]any)
		return outputs["x"]
	}
	if s := stepOf(t, rep, "beside"); s.Status != "succeeded" || got("beside") != "top-secret-db-password" {
		t.Errorf("a sub-playbook beside its caller: %s %+v, x = %v", s.Status, s.Error, got("beside"))
	}
	for _, id := range []string{"planted", "chain"} {
		s := stepOf(t, rep, id)
		if s.Status != "denied" || s.Error == nil || s.Error.Class != "authorization" ||
			!strings.Contains(s.Error.Message, "outside the allowed roots") || !strings.Contains(s.Error.Message, "from_file") {
			t.Errorf("%s: %s %+v, want it denied for its from_file outside the roots", id, s.Status, s.Error)
		}
	}
	for i := range rep.Steps {
		if rep.Steps[i].ID == "beside" { // the author's choice: it may read it
			rep.Steps[i].Output, rep.Steps[i].Sub = nil, nil
		}
	}
	if all := dump(rep); strings.Contains(all, "top-secret") {
		t.Errorf("the report holds the file outside the caller's roots beyond what the playbook beside its caller read:\n%s", all)
	}
	if s := stepOf(t, rep, "inroots"); s.Status != "succeeded" || got("inroots") != "in-roots-value" {
		t.Errorf("a from_file inside the roots: %s %+v, x = %v", s.Status, s.Error, got("inroots"))
	}
	if s := stepOf(t, rep, "missing"); s.Status != "succeeded" || got("missing") != "fallback" {
		t.Errorf("a from_file missing in the roots: %s %+v, x = %v", s.Status, s.Error, got("missing"))
	}
}
