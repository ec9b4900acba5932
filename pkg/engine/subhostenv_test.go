package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSubPlaybookInRootsReadsNoHostEnv checks that a sub-playbook read
// from the caller's file roots, outside the calling playbook's directory
// tree, reads nothing of the runner's environment: not by ${{ env.NAME }}
// nor by an input's env:. A served run's environment holds what the
// server was given (a webhook, a database password passed through), and a
// playbook the caller wrote in their roots would hand it back in its
// outputs. A sub-playbook beside its caller reads it, and one in the
// roots still reads its own env files and its processes still get it.
func TestSubPlaybookInRootsReadsNoHostEnv(t *testing.T) {
	base := t.TempDir()
	books, data := filepath.Join(base, "playbooks"), filepath.Join(base, "data")
	for _, d := range []string{books, data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, src string) {
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reader := func(name, extra string) string {
		return "version: 1\nname: " + name + "\n" + extra +
			"inputs:\n  tok: {type: string, default: unset, env: HOOK_TOKEN}\n" +
			"steps:\n  - {id: a, op: control.noop}\n" +
			"outputs:\n  x: \"${{ env.HOOK_TOKEN ?? 'unset' }}\"\n  y: \"${{ env.OWN ?? 'unset' }}\"\n" +
			"  z: \"${{ inputs.tok }}\"\n  n: \"${{ len(env) }}\"\n"
	}
	write(filepath.Join(books, "beside.yaml"), reader("beside", ""))
	write(filepath.Join(data, "own.env"), "OWN=in-roots-value\n")
	write(filepath.Join(data, "planted.yaml"), reader("planted", "env_file: own.env\n"))
	write(filepath.Join(data, "chain.yaml"), "version: 1\nname: chain\nsteps:\n  - {id: next, op: playbook.run, with: {path: planted.yaml}}\n"+
		"outputs:\n  x: \"${{ steps.next.output.outputs.x }}\"\n  y: \"${{ steps.next.output.outputs.y }}\"\n"+
		"  z: \"${{ steps.next.output.outputs.z }}\"\n  n: \"${{ steps.next.output.outputs.n }}\"\n")
	write(filepath.Join(data, "needy.yaml"), "version: 1\nname: needy\ninputs:\n  tok: {type: string, required: true, env: HOOK_TOKEN}\n"+
		"steps:\n  - {id: a, op: control.noop}\n")
	parent := filepath.Join(books, "parent.yaml")
	write(parent, `version: 1
name: parent
inputs:
  where: {type: string, default: `+data+`}
steps:
  - {id: beside, needs: [], op: playbook.run, with: {path: beside.yaml}}
  - {id: planted, needs: [], op: playbook.run, with: {path: "${{ inputs.where }}/planted.yaml"}}
  - {id: chain, needs: [], op: playbook.run, with: {path: "${{ inputs.where }}/chain.yaml"}}
  - {id: needy, needs: [], op: playbook.run, continue_on_error: true, with: {path: "${{ inputs.where }}/needy.yaml"}}
`)
	e := New(registry(t), WithAuthorizer(scoped{rootsScope{[]string{data}}}))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil, WithEnviron([]string{"HOOK_TOKEN=top-secret-hook-token", "PATH=/usr/bin"}))
	got := func(id, name string) any {
		out, _ := stepOf(t, rep, id).Output.(map[string]any)
		outputs, _ := out["outputs"].(map[string]any)
		return outputs[name]
	}
	for id, want := range map[string][4]string{
		"beside":  {"top-secret-hook-token", "unset", "top-secret-hook-token", "2"},
		"planted": {"unset", "in-roots-value", "unset", "1"},
		"chain":   {"unset", "in-roots-value", "unset", "1"},
	} {
		if s := stepOf(t, rep, id); s.Status != "succeeded" || got(id, "x") != want[0] || got(id, "y") != want[1] ||
			got(id, "z") != want[2] || fmt.Sprint(got(id, "n")) != want[3] {
			t.Errorf("%s: %s %+v, x = %v, y = %v, z = %v, n = %v; want %v", id, s.Status, s.Error,
				got(id, "x"), got(id, "y"), got(id, "z"), got(id, "n"), want)
		}
	}
	if s := stepOf(t, rep, "needy"); s.Status != "failed" || s.Error == nil ||
		!strings.Contains(s.Error.Message, "tok is required") || strings.Contains(s.Error.Message, "or set $HOOK_TOKEN") ||
		!strings.Contains(s.Error.Message, "arsenal-run's environment is not read for it") {
		t.Errorf("needy: %s %+v, want it failed for its input, not told to set $HOOK_TOKEN", s.Status, s.Error)
	}
	for i := range rep.Steps {
		if rep.Steps[i].ID == "beside" { // the author's choice: it may read it
			rep.Steps[i].Output, rep.Steps[i].Sub = nil, nil
		}
	}
	if all := dump(rep); strings.Contains(all, "top-secret") {
		t.Errorf("the report holds the runner's environment:\n%s", all)
	}
}
