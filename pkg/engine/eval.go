package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"

	"github.com/expr-lang/expr/vm"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// vms recycles expression VMs; a VM serves one evaluation at a time.
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

// eval runs a compiled expression with a memory budget and returns plain
// data.
func eval(file string, e *steps.Expr, env map[string]any) (any, error) {
	m := vms.Get().(*vm.VM)
	m.MemoryBudget = exprsafe.MemoryBudget(steps.MaxExprMemory)
	out, err := m.Run(e.Program, env)
	vms.Put(m)
	if err != nil {
		if c, ok := env[exprsafe.ContextVar].(context.Context); ok && c.Err() != nil {
			// The run was cancelled or timed out mid-evaluation. A step
			// timeout that cut its parameters names the expression.
			cause := context.Cause(c)
			if te := (*timeoutError)(nil); errors.As(cause, &te) && te.params {
				return nil, fmt.Errorf("%s:%d:%d: expression %s: %w", file, e.Pos.Line, e.Pos.Col, quoteExpr(e.Source), cause)
			}
			return nil, cause
		}
		if exprsafe.OverBudget(err) {
			return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: expression %s built more than %d items, over the limit of one evaluation's memory (see \"Limits\" in docs/playbooks.md); use a smaller range or list, or split the work across steps", file, e.Pos.Line, e.Pos.Col, quoteExpr(e.Source), steps.MaxExprMemory)
		}
		msg := exprsafe.Problem(e.Program, err, func(null string) string {
			if a := nullAdvice(null); a != "" {
				return a
			}
			return fieldError(null, env)
		})
		// Named by its place in the file, not by " (1:18)" in the
		// expression, which a reader cannot find.
		at := e.Pos
		if off, ok := exprsafe.Where(err, e.Source); ok {
			at, msg = e.PosAt(off), exprsafe.TrimPosition(msg)
		}
		return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: expression %s: %s", file, at.Line, at.Col, quoteExpr(e.Source), msg)
	}
	v, err := plainData(out, 0)
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: expression %s: %v", file, e.Pos.Line, e.Pos.Col, quoteExpr(e.Source), err)
	}
	deriveSecrets(e, env, v)
	return v, nil
}

func quoteExpr(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return "`" + s + "`"
}

// nullAdvice says why the value of a playbook's expression written null
// ("" when unknown: a list function's argument; "#" for the item a
// predicate goes over) may be null, and what to do.
func nullAdvice(null string) string {
	const skipped = "a step that was skipped, or failed without an output (a refused connection, a timeout, a parameter refused before its operation ran), has a null output (a fan-out's too)"
	switch {
	case null == "":
		return skipped + "; test steps.<id>.status first, or give a default with ??, as in steps.<id>.output ?? []"
	case stepOutputRE.MatchString(null):
		// Named as the expression names it, so the fix can be pasted.
		step := strings.TrimSuffix(strings.TrimSuffix(null, ".output"), "?")
		return fmt.Sprintf("%s; test %s.status first, as in %s.status == \"succeeded\" && ..., or give a default with ??, as in %s ?? []", skipped, step, step, null)
	case null == "output":
		return "an attempt that failed without an output (a refused connection, a timeout) has none; test error first"
	case null == "#":
		return "in a fan-out's output, an item that was skipped or cancelled, or failed without an output, is null"
	}
	return ""
}

// stepOutputRE matches a step's output as an expression writes it.
var stepOutputRE = regexp.MustCompile(`^steps(\.[A-Za-z_][A-Za-z0-9_-]*|\[[^\]]*\])\??\.output$`)

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func evalBool(file string, e *steps.Expr, env map[string]any) (bool, error) {
	v, err := eval(file, e, env)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, ops.Errorf(ops.ClassValidation, "%s:%d:%d: %s gave %s, not true or false", file, e.Pos.Line, e.Pos.Col, quoteExpr(e.Source), ops.TypeName(v))
	}
	return b, nil
}

// value computes an interpolated value: literals as they are, a lone
// ${{ }} with its type, templates as strings. What an expression returns is
// never interpolated again.
func value(file string, v *steps.Value, env map[string]any) (any, error) {
	switch v.Kind {
	case steps.KindLiteral:
		return v.Lit, nil
	case steps.KindExpr:
		x, err := eval(file, v.Expr, env)
		if err != nil {
			return nil, err
		}
		if err := checkSize(file, v.Expr, x); err != nil {
			return nil, err
		}
		if s, ok := x.(string); ok && v.Escaped {
			return escapeTemplate(s), nil
		}
		return x, nil
	case steps.KindTemplate:
		if v.Escaped {
			return escapedTemplate(file, v, env)
		}
		var b strings.Builder
		for _, p := range v.Parts {
			b.WriteString(p.Text)
			if p.Expr == nil {
				continue
			}
			s, err := interpolated(file, v, p.Expr, env, b.Len())
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
		}
		return b.String(), nil
	case steps.KindList:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			x, err := value(file, it, env)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case steps.KindMap:
		out := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			x, err := value(file, v.Items[i], env)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown value kind %d", v.Kind)
}

// interpolated is the text of one ${{ }} of the template v, written after
// sofar bytes: its value, bounded, as a template writes it.
func interpolated(file string, v *steps.Value, e *steps.Expr, env map[string]any, sofar int) (string, error) {
	x, err := eval(file, e, env)
	if err != nil {
		return "", err
	}
	if err := checkSize(file, e, x); err != nil {
		return "", err
	}
	s := Stringify(x)
	if sofar+len(s) > steps.MaxValueSize { // checked before the text is built
		return "", ops.Errorf(ops.ClassValidation, "%s:%d:%d: the interpolated string is over %d bytes, the limit of a value; interpolate a smaller part, or let the step read the data itself", file, v.Pos.Line, v.Pos.Col, steps.MaxValueSize)
	}
	return s, nil
}

// escapeTemplate writes s for an operation's own template language, in
// which $${{ is a literal ${{: an input holding ${{ values.pw }} is then
// written as it is, never evaluated by the operation.
func escapeTemplate(s string) string {
	return strings.ReplaceAll(s, "${{", "$${{")
}

// escapedTemplate is value for a template that is an operation's own
// template text (file.template's content): the parts the playbook wrote
// stay as they are, and every ${{ that an expression's result makes, alone
// or with what stands next to it ("hi $" then "{{ x }}"), is escaped, so
// that what came from a value is never evaluated by the operation. A value
// ending in $ just before the playbook's own ${{ would turn that
// expression into text: refused.
func escapedTemplate(file string, v *steps.Value, env map[string]any) (any, error) {
	var b strings.Builder
	var data []bool // per byte of b: it came from a value
	for _, p := range v.Parts {
		b.WriteString(p.Text)
		data = append(data, make([]bool, len(p.Text))...)
		if p.Expr == nil {
			continue
		}
		s, err := interpolated(file, v, p.Expr, env, b.Len())
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
		for range len(s) {
			data = append(data, true)
		}
	}
	s := b.String()
	var out strings.Builder
	last := 0
	for i := 0; ; {
		j := strings.Index(s[i:], "${{")
		if j < 0 {
			break
		}
		j += i
		switch {
		case data[j] || data[j+1] || data[j+2]:
			out.WriteString(s[last:j])
			out.WriteByte('$')
			last = j
		case j > 0 && data[j-1] && s[j-1] == '$':
			return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: an interpolated value ends with $ just before the template's own ${{, which would make that expression text; put a space or other text between them", file, v.Pos.Line, v.Pos.Col)
		}
		i = j + 3
	}
	out.WriteString(s[last:])
	return out.String(), nil
}

// checkSize fails a value an expression gave when it is over MaxValueSize:
// whole or inside a template, no interpolated value may be larger.
func checkSize(file string, e *steps.Expr, x any) error {
	if sizeOver(x, steps.MaxValueSize) <= steps.MaxValueSize {
		return nil
	}
	return ops.Errorf(ops.ClassValidation, "%s:%d:%d: %s gave a value of more than %d bytes, over the limit of %d bytes per value; pass a smaller part of it, or let the step read the data itself", file, e.Pos.Line, e.Pos.Col, quoteExpr(e.Source), steps.MaxValueSize, steps.MaxValueSize)
}

// sizeOver estimates the size of plain data in bytes: a string's length,
// and for lists and maps about as much as their JSON; it stops counting once the size passes limit, so a huge value costs
// no more than the limit to measure.
func sizeOver(v any, limit int) int {
	n := 0
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if n > limit {
			return
		}
		switch x := v.(type) {
		case string:
			n += len(x)
		case []any:
			n += 2
			for _, it := range x {
				if n > limit {
					return
				}
				walk(it, depth+1)
				n++
			}
		case map[string]any:
			n += 2
			for k, it := range x {
				if n > limit {
					return
				}
				n += len(k) + 4
				walk(it, depth+1)
			}
		default:
			n += 8
		}
	}
	walk(v, 0)
	return n
}

// Stringify renders a value inside a template: strings as they are, whole
// numbers without a decimal point, null as "", lists and maps as JSON.
func Stringify(v any) string { return jsonx.Text(v) }

// withVars returns a copy of env with extra names, for fan-out items and
// retry expressions.
func withVars(env map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(env)+len(kv)/2)
	maps.Copy(out, env)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// evalRetry evaluates retry.when or retry.until after attempt n, with
// output, error and attempt in scope.
func (r *run) evalRetry(e *steps.Expr, c *Call, n int, out map[string]any, err error) (bool, error) {
	errMap := map[string]any{"class": "", "message": ""}
	if err != nil {
		errMap = map[string]any{"class": string(ops.ClassOf(err)), "message": err.Error()}
	}
	var output any
	if out != nil {
		output = out
	}
	env := withVars(c.env, steps.EnvOutput, output, steps.EnvError, errMap, steps.EnvAttempt, n)
	return evalBool(r.file, e, env)
}
