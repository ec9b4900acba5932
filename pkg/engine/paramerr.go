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

// paramsError explains parameters the operation refused when the step ran
// (their values came from expressions): each problem names the step and,
// where the playbook gives one, the position of the value, and a value of
// the wrong type gets the advice validate gives for one it can see
// (`string(...)`). It stays a validation error.
func (r *run) paramsError(s *steps.Step, err error) error {
	var many ops.ParamErrors
	var one *ops.ParamError
	switch {
	case errors.As(err, &many):
	case errors.As(err, &one):
		many = ops.ParamErrors{one}
	default:
		return ops.WithClass(ops.ClassValidation, fmt.Errorf("step %s: %s: %w", s.ID, s.Op, err))
	}
	msgs := make([]string, len(many))
	for i, pe := range many {
		msgs[i] = r.paramProblem(s, pe)
	}
	return ops.WithClass(ops.ClassValidation, &paramsErr{msg: strings.Join(msgs, "; "), err: err})
}

// paramsErr keeps the operation's ParamErrors for errors.As under the
// engine's wording.
type paramsErr struct {
	msg string
	err error
}

func (e *paramsErr) Error() string { return e.msg }
func (e *paramsErr) Unwrap() error { return e.err }

// itemMsg splits "item 3: want a string, got integer" from the schema.
var itemMsg = regexp.MustCompile(`^item (\d+): (.*)$`)

// paramProblem is one refused parameter as "file:line:col: step S: param
// P: …", without the position when the playbook has none for it.
func (r *run) paramProblem(s *steps.Step, pe *ops.ParamError) string {
	if pe.Param == "" {
		return fmt.Sprintf("step %s: %s: %s", s.ID, s.Op, pe.Msg)
	}
	where := fmt.Sprintf("step %s: %s: param %s", s.ID, s.Op, pe.Param)
	msg := pe.Msg
	v := withValue(s.With, pe.Param)
	fixable := true // the value at v is the one refused, not a list holding it
	if m := itemMsg.FindStringSubmatch(msg); m != nil {
		where += ": item " + m[1]
		msg = m[2]
		i, _ := strconv.Atoi(m[1])
		switch {
		case v != nil && v.Kind == steps.KindList && i < len(v.Items):
			v = v.Items[i]
		case v != nil && v.Kind == steps.KindExpr:
			// The whole list came from one expression: point at it.
			fixable = false
		default:
			v = nil
		}
	}
	if v != nil && v.Kind == steps.KindExpr && fixable {
		if null, ok := nullProblem(msg, v.Expr.Source); ok {
			msg = null
		} else if fix := typeFix(msg, v.Expr.Source); fix != "" {
			end := wantGot.FindStringIndex(msg)[1]
			rest := msg[end:]
			if strings.HasPrefix(rest, "; "+ops.NumberTextHint) || strings.HasPrefix(rest, "; "+ops.QuoteHint) {
				// The operation's advice for a value as YAML
				// wrote it: the fix says it for the expression.
				rest = ""
			}
			msg = fmt.Sprintf("%s from %s%s; %s", msg[:end], quoteExpr(v.Expr.Source), rest, fix)
		}
	}
	msg = where + ": " + msg
	if v == nil || v.Pos.Line == 0 {
		return msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", r.file, v.Pos.Line, v.Pos.Col, msg)
}

// nullProblem names the expression src that gave null for a parameter
// the schema refused as null ("is required but null", "want a string,
// got null") and says why it may be null and how to give a default;
// false for any other message.
func nullProblem(msg, src string) (string, bool) {
	fix := fmt.Sprintf(`a skipped step's output, a field an output lacks and a null item are null; give a default, like '${{ %s ?? "..." }}', or test it in when:`, src)
	switch {
	case msg == "is required but null":
		return fmt.Sprintf("is required but %s gave null; %s", quoteExpr(src), fix), true
	case strings.HasSuffix(msg, ", got null") && wantGot.MatchString(msg):
		return fmt.Sprintf("%s from %s; %s", msg, quoteExpr(src), fix), true
	}
	return "", false
}

// wantGot reads the types out of the schema's "want a string, got integer".
var wantGot = regexp.MustCompile(`want an? (\w+), got (\w+)`)

// typeFix says how to give the type a parameter wants from the expression
// src, as validate does when it can see the type; "" when there is no
// simple conversion.
func typeFix(msg, src string) string {
	m := wantGot.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	want, got := m[1], m[2]
	switch {
	case want == "string" && (got == "integer" || got == "number" || got == "bool"):
		return fmt.Sprintf(`convert it, like "${{ string(%s) }}", or write it inside text, like "value: ${{ %s }}"`, src, src)
	case want == "string" && (got == "list" || got == "map"):
		return fmt.Sprintf(`turn it into text, like "${{ toJSON(%s) }}"`, src)
	case (want == "integer" || want == "number") && got == "string":
		call, _ := suggest.NumberFrom(src, want == "integer", nil)
		return fmt.Sprintf(`convert it, like "${{ %s }}"`, call)
	}
	return ""
}

// withValue is the value of a step's with: key, or nil.
func withValue(with *steps.Value, key string) *steps.Value {
	if with == nil || with.Kind != steps.KindMap {
		return nil
	}
	for i, k := range with.Keys {
		if k == key {
			return with.Items[i]
		}
	}
	return nil
}
