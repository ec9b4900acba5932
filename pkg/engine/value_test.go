package engine

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestValueSizeLimit checks that MaxValueSize bounds every interpolated
// value: a lone ${{ }} as well as one inside a template, in a step's with,
// its env, and the run's outputs.
func TestValueSizeLimit(t *testing.T) {
	e, _ := newEngine(t)
	chunk := strings.Repeat("x", 8<<10)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: big, op: control.set, with: {s: "`+chunk+`"}}
  - {id: fits, op: control.set, with: {v: "${{ join(map(1..100, steps.big.output.s), '') }}"}}
  - id: whole
    op: control.set
    with: {v: "${{ join(map(1..200, steps.big.output.s), '') }}"}
    continue_on_error: true
  - id: embedded
    op: control.set
    with: {v: "a${{ join(map(1..200, steps.big.output.s), '') }}"}
    continue_on_error: true
  - id: list
    op: control.set
    with: {v: "${{ map(1..200, steps.big.output.s) }}"}
    continue_on_error: true
  - id: env
    op: test.write
    env: {BIG: "${{ join(map(1..200, steps.big.output.s), '') }}"}
    continue_on_error: true
outputs:
  huge: "${{ join(map(1..200, steps.big.output.s), '') }}"
`), nil)
	if s := stepOf(t, rep, "fits"); s.Status != report.StatusSucceeded {
		t.Errorf("an 800 KiB value: %s %+v", s.Status, s.Error)
	}
	for _, id := range []string{"whole", "embedded", "list", "env"} {
		s := stepOf(t, rep, id)
		// join stops at the string it would build; a list of parts, at
		// the value it becomes.
		if s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != "validation" ||
			!strings.Contains(s.Error.Message, "over the limit of 1048576 bytes per value") && !strings.Contains(s.Error.Message, "over the limit of 1048576 bytes per string") {
			t.Errorf("step %s: %s %+v", id, s.Status, s.Error)
		}
	}
	if _, ok := rep.Outputs["huge"]; ok || !strings.Contains(rep.OutputErrors["huge"], "bytes per string; build large text in a step") {
		t.Errorf("output over the limit: kept=%v error=%q", ok, rep.OutputErrors["huge"])
	}
}

// TestSharedListsAreBoundedWrittenOut: lists that share parts cost the
// memory budget once, and their plain data each time; writing them out
// stops at a bound, quickly, naming the expression.
func TestSharedListsAreBoundedWrittenOut(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: blow
    op: control.set
    with: {v: "${{ let a = 1..90; let b = map(a, a); let c = map(a, b); map(a, c) }}"}
`), nil)
	s := stepOf(t, rep, "blow")
	if s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, "bytes per value;") || !strings.Contains(s.Error.Message, "map(a, c)") {
		t.Errorf("%s %+v", s.Status, s.Error)
	}
}

// TestStepTimeoutStopsAnExpression: a step's timeout stops the evaluation
// of its params as it works, within the work budget.
func TestStepTimeoutStopsAnExpression(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
vars:
  s: "${{ join(map(1..100000, {'xxxxxxxxx'}), '') }}"
steps:
  - id: slow
    op: control.set
    timeout: 200ms
    with: {v: "${{ count(1..20000, {vars.s matches '(x|xx)*y'}) }}"}
`), nil)
	s := stepOf(t, rep, "slow")
	if s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != "timeout" {
		t.Errorf("%s %+v", s.Status, s.Error)
	}
}

// TestDeepValueSaysWhatToDo: a value nested deeper than MaxDepth, read
// from a document known only at run time, names the limit and what to
// do (it said "value nested deeper than 64 levels" and no more); a part
// of it nearer the top passes.
func TestDeepValueSaysWhatToDo(t *testing.T) {
	e, _ := newEngine(t)
	doc := strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: doc, op: control.set, with: {s: '`+doc+`'}}
  - id: whole
    op: control.set
    with: {v: "${{ fromJSON(steps.doc.output.s) }}"}
    continue_on_error: true
  - id: part
    op: control.set
    with: {v: "${{ fromJSON(steps.doc.output.s).a.a.a.a.a.a.a.a.a.a }}"}
`), nil)
	s := stepOf(t, rep, "whole")
	want := "value nested deeper than 64 levels of lists and maps (see \"Limits\" in docs/playbooks.md); give a part nearer the top, as fromJSON(s).items, or keep it as text"
	if s.Status != report.StatusFailed || s.Error == nil || !strings.Contains(s.Error.Message, want) {
		t.Errorf("whole: %s %+v\nwant %q", s.Status, s.Error, want)
	}
	if s := stepOf(t, rep, "part"); s.Status != report.StatusSucceeded {
		t.Errorf("part: %s %+v", s.Status, s.Error)
	}
}
