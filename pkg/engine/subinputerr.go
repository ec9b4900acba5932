package engine

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// subInputsError explains err, the sub-playbook at path refusing the
// inputs its playbook.run step gave (values known only now, from
// expressions). A value that does not fit its input is located at that
// input's value in the step's inputs:, names the expression that gave it
// and says how to convert it, as a refused parameter does (paramsError);
// "write the number unquoted", meant for a value written in YAML, is not
// said of one an expression computed. Other problems (an unknown name, a
// required input not given, a from_file) are located at the inputs: map.
func (r *run) subInputsError(call *ops.Call, path string, plan *Plan, given map[string]any, err error) error {
	at := ""
	if r != nil {
		at = r.withAt(call, "inputs")
	}
	var ie *InputError
	if r == nil || !errors.As(err, &ie) || len(ie.given) == 0 {
		return fmt.Errorf("%splaybook.run %s: %w", at, path, err)
	}
	id, _, _ := strings.Cut(call.Step, "[")
	var inputs *steps.Value
	if n := r.p.node(id); n != nil {
		inputs = withValue(n.step.With, "inputs")
	}
	var located, rest []string
	for i, p := range ie.Problems {
		name, ok := ie.given[i]
		v := withValue(inputs, name)
		if !ok || !v.Dynamic() || v.Pos.Line == 0 {
			rest = append(rest, p)
			continue
		}
		if in := plan.pb.Input(name); in != nil && !in.Secret {
			src := "" // text with ${{ }} inside is a string
			if v.Kind == steps.KindExpr {
				src = v.Expr.Source
			}
			p = name + ": " + exprInputProblem(strings.TrimPrefix(p, name+": "), in.Type, given[name], src)
		}
		located = append(located, fmt.Sprintf("%s:%d:%d: playbook.run %s: inputs: %s", r.file, v.Pos.Line, v.Pos.Col, path, p))
	}
	if len(rest) > 0 {
		located = append(located, fmt.Sprintf("%splaybook.run %s: inputs: %s", at, path, strings.Join(rest, "; ")))
	}
	return &subInputsErr{msg: strings.Join(located, "; "), err: err}
}

// subInputsErr keeps the InputError (a denial of a from_file, for
// subLoadClass) under the located wording.
type subInputsErr struct {
	msg string
	err error
}

func (e *subInputsErr) Error() string { return e.msg }
func (e *subInputsErr) Unwrap() error { return e.err }

// inputWantGot reads "want an integer, got a string" and what follows.
var inputWantGot = regexp.MustCompile(`^(want [^,]+, got (?:an? )?\w+)(.*)$`)

// exprInputProblem is msg, the refusal of value v for an input of type t,
// for a value the expression src computed (or, src "", text with ${{ }}
// inside): it names src, drops the advice about quotes, which is for a
// value written in YAML, and says how to convert it, where a function
// does.
func exprInputProblem(msg string, t steps.InputType, v any, src string) string {
	m := inputWantGot.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	tail := m[2]
	if strings.HasPrefix(tail, "; ") {
		// Advice on how to write a value (unquoted, as a whole
		// number, quoted as text) is for one written in YAML or JSON;
		// inputTypeFix says how to convert one an expression gave.
		tail = ""
	}
	if src == "" {
		return m[1] + tail
	}
	out := m[1] + " from " + quoteExpr(src) + tail
	if fix := inputTypeFix(t, v, src); fix != "" {
		out += "; " + fix
	}
	return out
}

// inputTypeFix says how to give an input of type t the value v of the
// expression src; "" when no function converts it.
func inputTypeFix(t steps.InputType, v any, src string) string {
	text, isText := v.(string)
	switch {
	case (t == steps.InputInteger || t == steps.InputNumber) && isText:
		call, ok := suggest.NumberFrom(src, t == steps.InputInteger, v)
		if !ok {
			what := "a number"
			if t == steps.InputInteger {
				what = "a whole number"
			}
			return fmt.Sprintf("it gave %s, which holds no %s, so no conversion helps; give %s", quoteText(text), strings.TrimPrefix(what, "a "), what)
		}
		return fmt.Sprintf(`convert it, like "${{ %s }}"`, call)
	case (t == steps.InputList || t == steps.InputMap) && isText:
		return fmt.Sprintf(`decode it if it holds JSON, like "${{ fromJSON(%s) }}"`, src)
	case t == steps.InputString || t == steps.InputDuration:
		switch v.(type) {
		case int, int64, float64, bool:
			return fmt.Sprintf(`convert it, like "${{ string(%s) }}"`, src)
		case []any, map[string]any:
			return fmt.Sprintf(`turn it into text, like "${{ toJSON(%s) }}"`, src)
		}
	}
	return ""
}

// quoteText quotes s for a message, its first 40 runes when longer.
func quoteText(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:37]) + "..."
	}
	return strconv.Quote(s)
}
