package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlaybookRun(t *testing.T) {
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
	write("child.yaml", `version: 1
name: child
inputs:
  n: {type: integer, required: true}
  pw: {type: string}
steps:
  - {id: double, op: control.set, with: {v: "${{ inputs.n * 2 }}", pw: "${{ inputs.pw }}"}}
outputs:
  doubled: "${{ steps.double.output.v }}"
`)
	write("loop.yaml", `version: 1
name: loop
steps:
  - {id: again, op: playbook.run, with: {path: loop.yaml}}
`)
	parent := write("parent.yaml", `version: 1
name: parent
inputs:
  pw: {type: string, secret: true, default: sesame-open}
steps:
  - {id: sub, op: playbook.run, with: {path: child.yaml, inputs: {n: 21, pw: "${{ inputs.pw }}"}}}
  - {id: check, op: control.assert, with: {that: '${{ steps.sub.output.outputs.doubled == 42 }}'}}
  - {id: loop, op: playbook.run, with: {path: loop.yaml}, continue_on_error: true}
  - {id: bad, op: playbook.run, with: {path: child.yaml, inputs: {n: "${{ 'x' }}"}}, continue_on_error: true}
`)
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	if rep.Status != "succeeded" {
		t.Fatalf("run %s:\n%s", rep.Status, dump(rep))
	}
	sub := stepOf(t, rep, "sub").Sub
	if sub == nil || sub.Playbook.Name != "child" || len(sub.Steps) != 1 || sub.Steps[0].ID != "double" {
		t.Fatalf("nested report: %+v", sub)
	}
	if strings.Contains(dump(rep), "sesame-open") {
		t.Error("a secret passed to a sub-playbook shows in the report")
	}
	loop := stepOf(t, rep, "loop")
	if loop.Status != "failed" || !strings.Contains(dump(rep), "calls itself") {
		t.Errorf("recursion: %s %+v", loop.Status, loop.Error)
	}
	if bad := stepOf(t, rep, "bad"); bad.Error == nil || bad.Error.Class != "validation" || !strings.Contains(bad.Error.Message, "n: want an integer") {
		t.Errorf("bad inputs: %+v", bad.Error)
	}
}
