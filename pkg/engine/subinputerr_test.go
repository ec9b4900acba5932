package engine

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestSubPlaybookInputFromExpressionSaysHowToConvert: an input of a
// sub-playbook given by an expression of the wrong type fails the step
// at that input's value, not at the first of the step's inputs:, names
// the expression and says how to convert it, rather than to write the
// number unquoted, which the playbook's author did not quote.
func TestSubPlaybookInputFromExpressionSaysHowToConvert(t *testing.T) {
	p := loadWithSubPlaybooks(t, "parent.yaml", map[string]string{
		"child.yaml": `version: 1
name: child
inputs:
  label: {type: string, default: x}
  port: {type: integer, required: true}
steps:
  - {id: say, op: control.log, with: {message: "${{ inputs.label }}:${{ inputs.port }}"}}
`,
		"parent.yaml": `version: 1
name: parent
inputs:
  port: {type: string, default: "8080"}
steps:
  - id: call
    op: playbook.run
    with:
      path: child.yaml
      inputs:
        label: web
        port: "${{ inputs.port }}"
`,
	})
	rep := mustRun(t, p, nil)
	s := stepOf(t, rep, "call")
	if s.Error == nil {
		t.Fatalf("call: no error:\n%s", dump(rep))
	}
	msg := s.Error.Message
	for _, want := range []string{
		"parent.yaml:12:15: playbook.run ",
		"inputs: port: want an integer, got a string from `inputs.port`",
		`convert it, like "${{ int(inputs.port) }}"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("call: error %q; want it to hold %q", msg, want)
		}
	}
	if strings.Contains(msg, "unquoted") {
		t.Errorf("call: error %q says to unquote a value an expression computed", msg)
	}
}

// TestExprInputProblem: the refusal of a computed value names the
// expression and the conversion that fits the input's type; text with
// ${{ }} inside is not named, and a secret's refusal is left as it is.
func TestExprInputProblem(t *testing.T) {
	for _, c := range []struct {
		msg, typ string
		v        any
		src      string
		want     string
	}{
		{"want a number, got a string; write the number unquoted", "number", "1.5", "x", "want a number, got a string from `x`; convert it, like \"${{ float(x) }}\""},
		{"want an integer, got a string; write the number unquoted", "integer", "42\n", "o", "want an integer, got a string from `o`; convert it, like \"${{ int(trim(o)) }}\""},
		{"want an integer, got a string; write the number unquoted", "integer", "2.0", "o", "want an integer, got a string from `o`; convert it, like \"${{ int(float(o)) }}\""},
		{"want a number, got a string; write the number unquoted", "number", "ok", "o", "want a number, got a string from `o`; it gave \"ok\", which holds no number, so no conversion helps; give a number"},
		{"want an integer, got a string; write the number unquoted", "integer", "2.5", "o", "want an integer, got a string from `o`; it gave \"2.5\", which holds no whole number, so no conversion helps; give a whole number"},
		{"want a string, got an integer", "string", 3, "n", "want a string, got an integer from `n`; convert it, like \"${{ string(n) }}\""},
		{"want a list, got a string", "list", "[]", "o", "want a list, got a string from `o`; decode it if it holds JSON, like \"${{ fromJSON(o) }}\""},
		{"want a bool, got a string; write it unquoted, true or false", "bool", "true", "", "want a bool, got a string"},
		{"want a bool, got an integer", "bool", 1, "n", "want a bool, got an integer from `n`"},
	} {
		if got := exprInputProblem(c.msg, steps.InputType(c.typ), c.v, c.src); got != c.want {
			t.Errorf("exprInputProblem(%q, %s, %v, %q) = %q; want %q", c.msg, c.typ, c.v, c.src, got, c.want)
		}
	}
}
