package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/report"
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
	if loop.Status != "failed" || !strings.Contains(dump(rep), "a playbook.run cycle") {
		t.Errorf("recursion: %s %+v", loop.Status, loop.Error)
	}
	if bad := stepOf(t, rep, "bad"); bad.Error == nil || bad.Error.Class != "validation" || !strings.Contains(bad.Error.Message, "n: want an integer") {
		t.Errorf("bad inputs: %+v", bad.Error)
	}
}

// TestPlaybookRunHandsOutputsWhole checks that a parent gets a
// sub-playbook's outputs as they were computed, neither cut to the
// report's limits nor masked, and that an output carrying the sub-run's
// secret stays masked in everything the parent writes.
func TestPlaybookRunHandsOutputsWhole(t *testing.T) {
	var logs bytes.Buffer
	var evMu sync.Mutex
	var events []Event
	e, _ := newEngine(t, WithLog(&logs, zerolog.InfoLevel), WithObserver(ObserverFunc(func(ev Event) {
		evMu.Lock()
		defer evMu.Unlock()
		events = append(events, ev)
	})))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(`version: 1
name: child
inputs:
  tok: {type: string, secret: true, default: hunter2-zz9-tok}
steps:
  - {id: gen, op: test.secret}
  - {id: spew, op: test.spew, with: {size: 100000}}
outputs:
  ids: "${{ 1..20000 }}"
  big: "${{ steps.spew.output.stdout }}"
  auth: "Bearer ${{ inputs.tok }}"
  minted: "${{ steps.gen.output.token }}"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(dir, "parent.yaml")
	if err := os.WriteFile(parent, []byte(`version: 1
name: parent
steps:
  - {id: sub, op: playbook.run, with: {path: child.yaml}}
  - id: check
    op: control.assert
    with:
      that: "${{ len(steps.sub.output.outputs.ids) == 20000 && steps.sub.output.outputs.ids[19999] == 20000 && len(steps.sub.output.outputs.big) == 100000 && steps.sub.output.outputs.auth == 'Bearer hunter2-' + 'zz9-tok' && steps.sub.output.outputs.minted == 'generated-' + 'token-123' }}"
  - {id: say, op: control.log, with: {message: "auth is ${{ steps.sub.output.outputs.auth }}"}}
  - {id: boom, op: control.fail, with: {message: "minted ${{ steps.sub.output.outputs.minted }}"}, continue_on_error: true}
outputs:
  auth: "${{ steps.sub.output.outputs.auth }}"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s:\n%s", rep.Status, dump(rep))
	}
	noLeak(t, "the report", dump(rep), "hunter2-zz9-tok", "generated-token-123")
	noLeak(t, "the log", logs.String(), "hunter2-zz9-tok", "generated-token-123")
	evMu.Lock()
	evs, _ := json.Marshal(events)
	evMu.Unlock()
	noLeak(t, "the events", string(evs), "hunter2-zz9-tok", "generated-token-123")
	if got := rep.Outputs["auth"]; got != "Bearer ***" {
		t.Errorf("the parent's output auth = %v, want it masked", got)
	}
}

// TestPlaybookRunInputsErrorIsLocated: inputs given by expressions are
// checked when the step runs, and an error is located at the inputs: of
// the step that gave them, as a parameter's is.
func TestPlaybookRunInputsErrorIsLocated(t *testing.T) {
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "child.yaml"), []byte("version: 1\nname: child\ninputs:\n  n: {type: integer}\nsteps:\n  - {id: a, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(dir, "parent.yaml")
	if err := os.WriteFile(parent, []byte(`version: 1
name: parent
steps:
  - id: typed
    op: playbook.run
    continue_on_error: true
    with:
      path: child.yaml
      inputs: {n: "${{ 'x' }}"}
  - id: unknown
    op: playbook.run
    continue_on_error: true
    with: {path: child.yaml, inputs: "${{ {'m': 1} }}"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	for id, want := range map[string]string{
		"typed":   parent + ":9:19: playbook.run " + filepath.Join(dir, "child.yaml") + ": inputs: n: want an integer, got a string from `'x'`",
		"unknown": parent + ":13:38: playbook.run " + filepath.Join(dir, "child.yaml") + ": inputs: m: unknown input",
	} {
		if s := stepOf(t, rep, id); s.Error == nil || !strings.HasPrefix(s.Error.Message, want) {
			t.Errorf("%s: %+v, want the error to start %q", id, s.Error, want)
		}
	}
}

// TestPlaybookRunItemCancelledSaysWhyOnce: a sub-playbook item cancelled
// because another item failed under fail_fast says why once, not the
// cause again before its sub-run's own words for it.
func TestPlaybookRunItemCancelledSaysWhyOnce(t *testing.T) {
	p := loadWithSubPlaybooks(t, "parent.yaml", map[string]string{
		"child.yaml": "version: 1\nname: child\ninputs:\n  fail: {type: bool}\nsteps:\n" +
			"  - {id: f, op: control.fail, when: inputs.fail, with: {message: broken}}\n" +
			"  - {id: nap, op: control.sleep, when: not inputs.fail, with: {duration: 1h}}\n",
		"parent.yaml": `version: 1
name: parent
steps:
  - id: each
    op: playbook.run
    foreach: "[false, true]"
    concurrency: 2
    with: {path: child.yaml, inputs: {fail: "${{ item }}"}}
`,
	})
	rep := mustRun(t, p, nil)
	s := stepOf(t, rep, "each")
	if len(s.Items) != 2 || s.Items[0].Error == nil {
		t.Fatalf("items: %+v", s.Items)
	}
	msg := s.Items[0].Error.Message
	if why := "item 1 failed and fail_fast is on"; strings.Count(msg, why) != 1 {
		t.Errorf("the cancelled item's error %q, want it to say %q once", msg, why)
	}
}
