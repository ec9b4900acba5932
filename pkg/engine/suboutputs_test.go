package engine

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestSubRunKeepsItsOutputErrors: an output of a sub-playbook that cannot
// be computed (it reads a step that was skipped) is left out of what the
// parent gets, which then reads null; the reason is in the nested run's
// output_errors, where the top-level run's would be, and a warning says
// it as the run goes, instead of being lost.
func TestSubRunKeepsItsOutputErrors(t *testing.T) {
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
steps:
  - {id: a, op: control.set, when: "false", with: {v: 1}}
  - {id: b, op: control.set, with: {v: 2}}
outputs:
  x: "${{ steps.a.output.v }}"
  y: "${{ steps.b.output.v }}"
`)
	p, err := e.Load(write("parent.yaml", `version: 1
name: parent
steps:
  - {id: sub, op: playbook.run, foreach: [1], with: {path: child.yaml}}
  - {id: one, op: playbook.run, with: {path: child.yaml}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var warned []string
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventLog && ev.Level == "warn" && strings.Contains(ev.Message, "output x of sub-playbook child could not be computed") {
			mu.Lock()
			warned = append(warned, ev.Step)
			mu.Unlock()
		}
	})
	rep := mustRun(t, p, nil, WithRunObserver(obs))
	if len(warned) != 2 {
		t.Errorf("warnings of the output not computed, by step: %v; want one for each call", warned)
	}
	for _, s := range []string{"sub", "one"} {
		st := stepOf(t, rep, s)
		sub := st.Sub
		if len(st.Subs) > 0 {
			sub = st.Subs[0]
		}
		if sub == nil {
			t.Fatalf("step %s: no nested run:\n%s", s, dump(rep))
		}
		if _, ok := sub.Outputs["y"]; !ok {
			t.Errorf("step %s: outputs %v; want y", s, sub.Outputs)
		}
		if why := sub.OutputErrors["x"]; !strings.Contains(why, "steps.a.output is null") {
			t.Errorf("step %s: output_errors %v; want x with the reason", s, sub.OutputErrors)
		}
	}
}
