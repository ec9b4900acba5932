package engine

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestListFunctionOverNullSaysWhat checks that a list function given the
// null output of a skipped fan-out, or a single value, fails its step with
// an error that names the function and what it got, not expr's reflect
// panic.
func TestListFunctionOverNullSaysWhat(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: fan
    op: control.set
    when: "false"
    foreach: 0..2
    with: {v: "${{ item }}"}
  - id: every
    op: control.noop
    when: all(steps.fan.output, .v > 0)
    continue_on_error: true
  - id: piped
    op: control.noop
    when: len(steps.fan.output | filter(.v > 0)) > 0
    continue_on_error: true
  - id: defaulted
    op: control.noop
    when: all(steps.fan.output ?? [], .v > 0)
  - id: scalar
    op: control.noop
    when: sum(fromJSON("5")) > 0
    continue_on_error: true
`), nil)
	for id, want := range map[string]string{
		"every":  "all() was given null, not a list: a step that was skipped",
		"piped":  "was given null, not a list",
		"scalar": "sum() was given a number, not a list",
	} {
		st := stepOf(t, rep, id)
		if st.Error == nil || !strings.Contains(st.Error.Message, want) || strings.Contains(st.Error.Message, "reflect") {
			t.Errorf("%s: error %+v, want one with %q and no reflect", id, st.Error, want)
		}
	}
	if st := stepOf(t, rep, "defaulted"); st.Status != report.StatusSucceeded {
		t.Errorf("defaulted: %s %+v, want succeeded: the advice must work", st.Status, st.Error)
	}
}

// TestFieldOfNullOutputSaysWhich: a field read from the null output of a
// skipped step names that output and the ways around it, rather than
// expr's "cannot fetch v from <nil>".
func TestFieldOfNullOutputSaysWhich(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: x
    op: control.set
    when: "false"
    with: {v: 1}
  - id: text
    op: control.log
    with: {message: "v is ${{ steps.x.output.v }}"}
    continue_on_error: true
  - id: cond
    op: control.noop
    when: 1 + steps.x.output.v > 0
    continue_on_error: true
  - id: optional
    op: control.noop
    when: (steps.x.output?.v ?? 0) == 0
`), nil)
	const want = "steps.x.output is null, so it has no field v"
	for _, id := range []string{"text", "cond"} {
		st := stepOf(t, rep, id)
		if st.Error == nil || !strings.Contains(st.Error.Message, want) || !strings.Contains(st.Error.Message, "steps.x.output?.v") {
			t.Errorf("%s: error %+v, want one with %q and the ?. form", id, st.Error, want)
		}
		// The test to write names the step, so it can be pasted.
		if st.Error != nil && (!strings.Contains(st.Error.Message, `test steps.x.status first, as in steps.x.status == "succeeded"`) || strings.Contains(st.Error.Message, "<id>")) {
			t.Errorf("%s: error %+v, want it to name steps.x.status, not steps.<id>", id, st.Error)
		}
	}
	if st := stepOf(t, rep, "optional"); st.Status != report.StatusSucceeded {
		t.Errorf("optional: %s %+v, want succeeded: the advice must work", st.Status, st.Error)
	}
}

// TestFieldOfFailedOutputSaysWhy: the output of a step whose operation ran
// and failed without one (a refused connection) is null too, and the error
// of reading a field of it says so in a sentence that ends, rather than
// claiming the step failed before its operation ran.
func TestFieldOfFailedOutputSaysWhy(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: x
    op: test.flaky
    with: {key: x, fails: 1}
    continue_on_error: true
  - id: text
    op: control.log
    with: {message: "try ${{ steps.x.output.try }}"}
    continue_on_error: true
`), nil)
	st := stepOf(t, rep, "text")
	if st.Error == nil {
		t.Fatalf("text: %s without an error, want a failure", st.Status)
	}
	for _, want := range []string{"failed without an output (a refused connection", "read it as steps.x.output?.try, which is null when steps.x.output is null"} {
		if !strings.Contains(st.Error.Message, want) {
			t.Errorf("error %q, want it to hold %q", st.Error.Message, want)
		}
	}
	if strings.Contains(st.Error.Message, "failed before its operation ran") {
		t.Errorf("error %q says the step failed before its operation ran; it ran", st.Error.Message)
	}
}

// TestFieldOfNullOutputFieldSaysItsError: a field of an output that is
// null because the op could not make it (http.request's json when the
// body is not valid JSON) gives the reason the output holds beside it,
// <field>_error, rather than leaving the user to guess why.
func TestFieldOfNullOutputFieldSaysItsError(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: x
    op: control.set
    with: {json: null, json_error: "the body is not valid JSON: unexpected EOF"}
  - id: use
    op: control.log
    with: {message: "ok is ${{ steps.x.output.json.ok }}"}
    continue_on_error: true
`), nil)
	const want = "steps.x.output.json is null, so it has no field ok: steps.x.output.json_error says: the body is not valid JSON: unexpected EOF"
	if st := stepOf(t, rep, "use"); st.Error == nil || !strings.Contains(st.Error.Message, want) {
		t.Errorf("use: error %+v, want one with %q", st.Error, want)
	}
}
