package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// diagMsgs loads src and returns its diagnostics as "line:col: message".
func diagMsgs(t *testing.T, src string, reg *ops.Registry) []string {
	t.Helper()
	_, err := Parse("f.yaml", []byte(src), reg)
	if err == nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		out = append(out, strings.TrimPrefix(line, "f.yaml:"))
	}
	return out
}

// TestBadIDKeepsChecking checks that a bad or duplicate step id is one
// problem: the step's other problems are reported with it, and needs and
// steps.<id> that name the step (as written, or as its message proposes)
// add no error of their own.
func TestBadIDKeepsChecking(t *testing.T) {
	reg := testRegistry(t)
	bad := hostileHead + `steps:
  - id: fetch-data
    op: control.lgo
    retry: {attempts: 0, dealy: 1s}
    with: {mesage: hi}
  - id: use
    op: control.log
    needs: [fetch-data]
    with: {message: "${{ steps.fetch_data.output.message }}"}
`
	want := []string{
		`4:9: step id "fetch-data": use lower-case letters, digits and _ (at most 64), e.g. fetch_data, so expressions can say steps.fetch_data`,
		`5:9: unknown operation "control.lgo" (did you mean "control.log"?); see 'arsenal-run ops list'`,
		`6:23: retry.attempts is 0; it must be between 1 and 100, the tries in all, the first included (1 tries once); to wait longer than 100 tries, use repeat: {until: …, timeout: 30m}`,
		`6:26: unknown key "dealy" in retry (did you mean "delay"?); allowed keys: attempts, delay, backoff, max_delay, jitter, when, until`,
	}
	if diff := cmp.Diff(want, diagMsgs(t, bad, reg)); diff != "" {
		t.Errorf("bad id (-want +got):\n%s", diff)
	}
	dup := hostileHead + `steps:
  - id: a
    op: control.noop
  - id: a
    op: control.nop
  - id: use
    op: control.log
    needs: [a]
    with: {message: "${{ steps.a.status }}"}
`
	got := diagMsgs(t, dup, reg)
	if len(got) != 2 || !strings.Contains(got[0], `6:9: step id "a" is already used at line 4`) || !strings.Contains(got[1], `7:9: unknown operation "control.nop"`) {
		t.Errorf("duplicate id: want the id and the op reported, and nothing else; got\n%s", strings.Join(got, "\n"))
	}
}

// TestMessageGaps checks the advice for names of built-in functions used
// as inputs, Jinja filters, empty expressions, plugin operations and the
// fields of a fan-out's items and errors (not Go's type names).
func TestMessageGaps(t *testing.T) {
	reg := testRegistry(t)
	head := hostileHead + "inputs:\n  count: {type: integer, default: 1}\n  host: {type: string, default: h}\nvars:\n  max: 3\nsteps:\n  - id: a\n"
	for _, tc := range []struct{ name, step, want string }{
		{"builtin input", "    op: control.noop\n    when: count > 2\n", "count alone is the built-in function count(); input count is written inputs.count"},
		{"builtin var", "    op: control.noop\n    when: inputs.count > max\n", "max alone is the built-in function max(); var max is written vars.max"},
		{"filter", "    op: control.log\n    with: {message: \"${{ inputs.host | upper }}\"}\n", "11:38: | upper is a filter as Jinja and Helm write it; expressions call functions: write upper(inputs.host), or pipe into a call with parentheses: inputs.host | upper()"},
		{"empty", "    op: control.log\n    with: {message: \"${{ }}\"}\n", "empty expression: write an expression between ${{ and }}, like ${{ inputs.name }}, or remove the ${{ }}"},
		{"empty when", "    op: control.noop\n    when: \"\"\n", "empty expression: write one, like inputs.name != \"\", or remove the key"},
		{"item field", "    op: control.noop\n    foreach: \"[1]\"\n  - id: b\n    op: control.noop\n    when: steps.a.items[0].outptu == nil\n", `an item of steps.<id>.items has no field "outptu" (did you mean "output"?); it has index, item, status, output, error`},
		{"error field", "    op: control.noop\n  - id: b\n    op: control.noop\n    when: steps.a.items[0].error.mesage == \"\" || steps.a.error.class == \"\"\n", `an error has no field "mesage" (did you mean "message"?); it has class, message`},
		{"range", "    op: control.log\n    foreach: range(0, inputs.count)\n    with: {message: x}\n", "unknown function range; a range of whole numbers is written a..b, both ends included, like 0..(inputs.n - 1)"},
		{"default", "    op: control.log\n    with: {message: \"${{ default(inputs.host, 'x') }}\"}\n", "unknown function default; for a fallback when x is null, write x ?? fallback"},
		{"urlencode", "    op: control.log\n    with: {message: \"${{ urlencode(inputs.host) }}\"}\n", "unknown function urlencode; escape a value for a URL with urlPathEscape(x), for one path segment, or urlQueryEscape(x), for a query value"},
		{"not called", "    op: control.noop\n    when: length > 2\n", "unknown name length; an expression here can read"},
		{"plugin", "    op: acme.greet\n", `unknown operation "acme.greet"; see 'arsenal-run ops list'; no operation of category acme is registered: if acme.greet is a plugin operation, load it with --plugins DIR`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(diagMsgs(t, head+tc.step, reg), "\n")
			if !strings.Contains(got, tc.want) {
				t.Errorf("got\n%s\nwant it to contain\n%s", got, tc.want)
			}
		})
	}
	// A pipe into a call is expr's own syntax, and a called built-in is
	// meant as written.
	ok := head + "    op: control.log\n    with: {message: \"${{ inputs.host | upper() }} ${{ len(inputs.host) + count([1], # > 0) }}\"}\n" +
		"  - id: r\n    op: control.log\n    foreach: 0..(inputs.count - 1)\n    with: {message: \"item ${{ item }}\"}\n"
	if got := diagMsgs(t, ok, reg); got != nil {
		t.Errorf("valid expressions refused:\n%s", strings.Join(got, "\n"))
	}
}

// modeOp is a custom operation whose risk depends on its mode, written
// without a thought for Deferred: p.String reads one as "".
type modeOp struct{ aware bool }

func (modeOp) Execute(context.Context, ops.Params) (map[string]any, error) { return nil, nil }

func (modeOp) RiskFor(p ops.Params) ops.Risk {
	if p.String("mode") == "force" {
		return ops.RiskDestructive
	}
	return ops.RiskRead
}

type awareModeOp struct{ modeOp }

func (awareModeOp) AssessesDeferred() bool { return true }

// TestDeferredRiskAtLoad checks that a step whose RiskAssessor would read
// a value known only at run time is at the highest risk when loaded (so
// preflight never lets through a step the run then denies), that literal
// params keep their own risk, and that an assessor that answers for
// Deferred values itself is asked.
func TestDeferredRiskAtLoad(t *testing.T) {
	reg := testRegistry(t)
	spec := func(name string) ops.Spec {
		return ops.Spec{Name: name, Risk: ops.RiskRead, Params: []ops.Param{{Name: "mode", Type: ops.TypeString}}}
	}
	reg.MustRegister(spec("acme.apply"), modeOp{})
	reg.MustRegister(spec("acme.aware"), awareModeOp{})
	src := hostileHead + `inputs:
  mode: {type: string, default: safe}
steps:
  - id: deferred
    op: acme.apply
    with: {mode: "${{ inputs.mode }}"}
  - id: literal_force
    op: acme.apply
    with: {mode: force}
  - id: literal_safe
    op: acme.apply
    with: {mode: safe}
  - id: aware
    op: acme.aware
    with: {mode: "${{ inputs.mode }}"}
`
	pb, err := Parse("f.yaml", []byte(src), reg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ops.Risk{}
	for _, s := range pb.AllSteps() {
		got[s.ID] = s.Risk
	}
	want := map[string]ops.Risk{"deferred": ops.RiskDestructive, "literal_force": ops.RiskDestructive, "literal_safe": ops.RiskRead, "aware": ops.RiskRead}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step risks when loaded (-want +got):\n%s", diff)
	}
}

// TestCommentCutHint: an expression or a value that YAML cut at " #",
// taking the rest of its line for a comment, says so and to quote it;
// the message spoke only of an expression that ends too early. A quoted
// one is whole, and a comment after a whole value gets no hint.
func TestCommentCutHint(t *testing.T) {
	reg := testRegistry(t)
	got := diagMsgs(t, hostileHead+`steps:
  - id: a
    op: control.log
    when: any([1, 2], # == 2)
    with: {message: hi}
  - id: b
    op: control.log
    with:
      message: ${{ any([1, 2], # == 2) }}
  - id: c
    op: control.log
    when: "any([1, 2], # == 2)"
    with:
      message: "${{ any([1, 2], # == 2) }}"
  - id: d
    op: control.log
    when: len([1]) == # the rest is a comment, but the value is not whole
    with: {message: hi}  # a comment
`, reg)
	const hint = "YAML took the rest of the line"
	want := map[string]bool{"6:": true, "11:": true, "19:": true}
	for _, m := range got {
		line := m[:strings.Index(m, ":")+1]
		if want[line] != strings.Contains(m, hint) {
			t.Errorf("%s: the hint given %v, want %v", m, !want[line], want[line])
		}
		delete(want, line)
	}
	if len(want) != 0 {
		t.Errorf("no problem reported on lines %v:\n%s", want, strings.Join(got, "\n"))
	}
}

// TestFanOutKeysWithoutForeachLocated: concurrency and fail_fast on a step
// without foreach are each reported where they are written, as serial: is,
// and fail_fast's points to continue_on_error, which goes on past a step.
func TestFanOutKeysWithoutForeachLocated(t *testing.T) {
	src := hostileHead + "steps:\n  - id: a\n    op: control.noop\n    fail_fast: false\n    concurrency: 4\n  - id: b\n    op: control.noop\n    concurrency: 1\n    fail_fast: true\n"
	want := []string{
		"6:16: fail_fast applies to a foreach step, going on past a failed item; add foreach, or continue_on_error: true to go on past this step's failure",
		"7:18: concurrency applies to a foreach step, running its items at once; add foreach or remove it",
	}
	if got := diagMsgs(t, src, testRegistry(t)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
