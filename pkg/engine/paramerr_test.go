package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestNullEnvFailsStep checks that an env value that gives null fails the
// step before the operation runs (an empty TARGET would make
// rm -rf "$TARGET/" remove /), for a step's env, an operation's own
// with.env, and the playbook's env, which fails the run at its start.
func TestNullEnvFailsStep(t *testing.T) {
	e, to := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: calc, op: control.set, with: {scratch: null}}
  - id: step_env
    op: test.write
    env: {TARGET: "${{ steps.calc.output.scratch }}"}
    continue_on_error: true
  - id: with_env
    op: test.write
    with: {env: {TARGET: "${{ steps.calc.output.scratch }}"}}
    continue_on_error: true
`), nil)
	for id, want := range map[string][]string{
		"step_env": {"pb.yaml:8:19:", "env TARGET: `steps.calc.output.scratch` gave null", `?? "..."`},
		"with_env": {"pb.yaml:12:26:", "with.env TARGET: `steps.calc.output.scratch` gave null", `?? "..."`},
	} {
		s := stepOf(t, rep, id)
		if s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != "validation" {
			t.Errorf("%s: %s %+v, want failed with class validation", id, s.Status, s.Error)
			continue
		}
		for _, part := range want {
			if !strings.Contains(s.Error.Message, part) {
				t.Errorf("%s: message %q lacks %q", id, s.Error.Message, part)
			}
		}
	}
	if n := to.writes.Load(); n != 0 {
		t.Errorf("the operation ran %d times with a null env value", n)
	}

	rep = mustRun(t, plan(t, e, header+`
vars: {scratch: null}
env: {TARGET: "${{ vars.scratch }}"}
steps:
  - {id: clean, op: test.write}
`), nil)
	if rep.Status != report.StatusFailed || rep.Error == nil || !strings.Contains(rep.Error.Message, "env TARGET: `vars.scratch` gave null") {
		t.Errorf("playbook env: run %s %+v", rep.Status, rep.Error)
	}
	if n := to.writes.Load(); n != 0 {
		t.Errorf("the operation ran %d times with a null playbook env value", n)
	}
}

// TestParamTypeErrorAtRunNamesStep checks that a parameter of the wrong
// type found when the step runs (its value came from an item) names the
// step and the value's position and says how to convert it, as validate
// does for a type it can see, and stays a validation error.
func TestParamTypeErrorAtRunNamesStep(t *testing.T) {
	e, _ := newEngine(t)
	e.Registry().MustRegister(ops.Spec{Name: "test.argv", Risk: ops.RiskRead, Params: []ops.Param{{Name: "command", Type: ops.TypeList, Items: ops.TypeString, Required: true}}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil }))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: find, op: control.set, with: {processes: "${{ [{'pid': 12}] }}"}}
  - id: kill
    op: test.argv
    foreach: steps.find.output.processes
    with: {command: [kill, -TERM, "${{ item.pid }}"]}
`), nil)
	s := stepOf(t, rep, "kill")
	if len(s.Items) != 1 || s.Items[0].Error == nil {
		t.Fatalf("kill: %s %+v", s.Status, s.Items)
	}
	err := s.Items[0].Error
	if err.Class != "validation" {
		t.Errorf("class %s, want validation", err.Class)
	}
	for _, part := range []string{
		"pb.yaml:9:35:",
		"step kill: test.argv: param command: item 2: want a string, got integer from `item.pid`",
		`convert it, like "${{ string(item.pid) }}"`,
	} {
		if !strings.Contains(err.Message, part) {
			t.Errorf("message %q lacks %q", err.Message, part)
		}
	}
	// Quoting is advice for a value written in YAML, not one an
	// expression gave.
	if strings.Contains(err.Message, "quote it") {
		t.Errorf("message %q tells to quote an expression's value", err.Message)
	}
}

// TestParamNullAtRunNamesExpression checks that a parameter whose
// expression gave null when the step ran names that expression and says
// how to give a default, for a parameter that is required and for an item
// of a list, as the error of a value of the wrong type does.
func TestParamNullAtRunNamesExpression(t *testing.T) {
	e, _ := newEngine(t)
	e.Registry().MustRegister(ops.Spec{Name: "test.argv", Risk: ops.RiskRead, Params: []ops.Param{
		{Name: "command", Type: ops.TypeList, Items: ops.TypeString, Required: true},
		{Name: "target", Type: ops.TypeString}}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil }))
	e.Registry().MustRegister(ops.Spec{Name: "test.need", Risk: ops.RiskRead, Params: []ops.Param{{Name: "url", Type: ops.TypeString, Required: true}}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil }))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: calc, op: control.set, with: {host: null}}
  - id: item_null
    op: test.argv
    continue_on_error: true
    with: {command: [ping, "${{ steps.calc.output.host }}"]}
  - id: required_null
    op: test.need
    continue_on_error: true
    with: {url: "${{ steps.calc.output.host }}"}
`), nil)
	for id, want := range map[string][]string{
		"item_null": {"pb.yaml:9:28:", "param command: item 1: want a string, got null from `steps.calc.output.host`",
			`give a default, like '${{ steps.calc.output.host ?? "..." }}'`},
		"required_null": {"pb.yaml:13:17:", "param url: is required but `steps.calc.output.host` gave null",
			`give a default, like '${{ steps.calc.output.host ?? "..." }}'`},
	} {
		s := stepOf(t, rep, id)
		if s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != "validation" {
			t.Errorf("%s: %s %+v, want failed with class validation", id, s.Status, s.Error)
			continue
		}
		for _, part := range want {
			if !strings.Contains(s.Error.Message, part) {
				t.Errorf("%s: message %q lacks %q", id, s.Error.Message, part)
			}
		}
	}
}

// TestConditionNotBoolAtRun checks that a when: or retry.until whose value
// is known only at run time and is not true or false says so in the docs'
// words and says what to write, not expr's "invalid operation:
// bool(string)".
func TestConditionNotBoolAtRun(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: calc, op: control.set, with: {flag: "yes", count: 3}}
  - {id: text, op: control.noop, needs: [calc], when: steps.calc.output.flag, continue_on_error: true}
  - {id: number, op: control.noop, needs: [calc], when: steps.calc.output.count, continue_on_error: true}
  - id: until
    op: control.noop
    needs: [calc]
    retry: {attempts: 2, until: steps.calc.output.flag}
    continue_on_error: true
`), nil)
	for id, got := range map[string]string{"text": "a string", "number": "an integer", "until": "a string"} {
		s := stepOf(t, rep, id)
		if s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != "validation" {
			t.Errorf("%s: %s %+v, want failed with class validation", id, s.Status, s.Error)
			continue
		}
		for _, part := range []string{"pb.yaml:", "a condition must give true or false, but this one gave " + got, "compare it"} {
			if !strings.Contains(s.Error.Message, part) {
				t.Errorf("%s: message %q lacks %q", id, s.Error.Message, part)
			}
		}
		if strings.Contains(s.Error.Message, "invalid operation") {
			t.Errorf("%s: message %q speaks of expr's machinery", id, s.Error.Message)
		}
	}
}

// TestTypeFixTrimsText: a parameter that wants a number and got text from
// an expression is told to trim it first, since int() and float() refuse
// the newline that ends a command's stdout.
func TestTypeFixTrimsText(t *testing.T) {
	for msg, want := range map[string]string{
		"want an integer, got string": `convert it, like "${{ int(trim(steps.c.output.stdout)) }}"`,
		"want a number, got string":   `convert it, like "${{ float(trim(steps.c.output.stdout)) }}"`,
	} {
		if got := typeFix(msg, "steps.c.output.stdout"); got != want {
			t.Errorf("typeFix(%q) = %q, want %q", msg, got, want)
		}
	}
}

// TestNumberTextFromAnExpressionAdvisedOnce: text an expression gave to
// an integer parameter is told how to convert it once, with the
// expression. Before, the operation's advice for a number written in
// quotes came too: "… convert it with int(x)); convert it, like …".
func TestNumberTextFromAnExpressionAdvisedOnce(t *testing.T) {
	e := New(registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.count", Risk: ops.RiskRead, Params: []ops.Param{{Name: "n", Type: ops.TypeInteger}}},
			ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil }))
	}))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: calc, op: control.set, with: {text: "${{ '3' }}"}}
  - {id: count, op: test.count, needs: [calc], with: {n: "${{ steps.calc.output.text }}"}}
`), nil)
	s := stepOf(t, rep, "count")
	const want = "want an integer, got string from `steps.calc.output.text`; convert it, like \"${{ int(trim(steps.calc.output.text)) }}\""
	if s.Error == nil || !strings.HasSuffix(s.Error.Message, want) {
		t.Fatalf("count: %s %+v, want the error to end %q", s.Status, s.Error, want)
	}
	if n := strings.Count(s.Error.Message, "convert it"); n != 1 {
		t.Errorf("the message advises %d conversions, want 1: %s", n, s.Error.Message)
	}
}
