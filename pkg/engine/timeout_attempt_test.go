package engine

import (
	"strings"
	"testing"
)

// A step timeout that cuts every attempt of a retried step says which
// attempt it cut, as the retry events do; a step that is not retried
// keeps the plain message.
func TestStepTimeoutNamesTheAttempt(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: slow
    op: control.sleep
    with: {duration: 1m}
    timeout: 30ms
    retry: {attempts: 2, delay: 1ms}
    continue_on_error: true
  - id: once
    op: control.sleep
    with: {duration: 1m}
    timeout: 30ms
    continue_on_error: true
`), nil)
	slow := stepOf(t, rep, "slow")
	if slow.Error == nil || slow.Error.Class != "timeout" {
		t.Fatalf("slow: error %+v, want class timeout", slow.Error)
	}
	if want := "step timeout of 30ms exceeded (attempt 2 of 2)"; !strings.Contains(slow.Error.Message, want) {
		t.Errorf("slow: error %q, want it to contain %q", slow.Error.Message, want)
	}
	if slow.Attempts != 2 || len(slow.AttemptLog) != 2 {
		t.Fatalf("slow: %d attempts (%d logged), want 2", slow.Attempts, len(slow.AttemptLog))
	}
	if a := slow.AttemptLog[0]; a.Error == nil || !strings.Contains(a.Error.Message, "(attempt 1 of 2)") {
		t.Errorf("slow: first attempt %+v, want its error to say attempt 1 of 2", a.Error)
	}
	once := stepOf(t, rep, "once")
	if once.Error == nil || strings.Contains(once.Error.Message, "attempt") || !strings.Contains(once.Error.Message, "step timeout of 30ms exceeded") {
		t.Errorf("once: error %+v, want the plain step timeout message", once.Error)
	}
}

// A step timeout that cuts the evaluation of the step's parameters, before
// any attempt ran, says so, names the expression it cut, and, for a
// retried step, which attempt did not run and why it is not retried.
func TestStepTimeoutInParamsSaysBeforeWhichAttempt(t *testing.T) {
	e, _ := newEngine(t)
	slow := `"n ${{ len(filter(1..900000, # % 7 == 0)) }}"`
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: retried
    op: control.log
    with: {message: `+slow+`}
    timeout: 1ms
    retry: {attempts: 3, delay: 1ms}
    continue_on_error: true
  - id: once
    op: control.log
    with: {message: `+slow+`}
    timeout: 1ms
    continue_on_error: true
`), nil)
	for id, want := range map[string]string{
		"retried": "pb.yaml:7:28: expression `len(filter(1..900000, # % 7 == 0))`: step timeout of 1ms exceeded while the step's parameters (with, env) were evaluated, before attempt 1 of 3 ran",
		"once":    "pb.yaml:13:28: expression `len(filter(1..900000, # % 7 == 0))`: step timeout of 1ms exceeded while the step's parameters (with, env) were evaluated, before its operation ran",
	} {
		st := stepOf(t, rep, id)
		if st.Error == nil || st.Error.Class != "timeout" || !strings.Contains(st.Error.Message, want) {
			t.Errorf("%s: error %+v, want class timeout and %q", id, st.Error, want)
		}
		if st.Attempts != 0 {
			t.Errorf("%s: %d attempts, want 0: no attempt ran", id, st.Attempts)
		}
	}
}
