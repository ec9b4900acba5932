package steps

// Warnings about a step's output field compared with, or computed with, a
// literal of another type: steps.check.output.stdout == 5 is false in
// every run, as text is never equal to a number, and
// steps.check.output.stdout > 3, or + 1, fails the step when it is
// evaluated.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// stepStatuses are the statuses a step ends with, as steps.<id>.status
// gives them.
var stepStatuses = []string{
	string(report.StatusSucceeded), string(report.StatusFailed), string(report.StatusSkipped),
	string(report.StatusDenied), string(report.StatusCancelled),
}

// compared is the literal that a value is compared with, or computed with
// by an arithmetic operator.
type compared struct {
	op  string // ==, !=, <, >, <=, >=, or +, -, *, /, %, **
	lit string // as the expression writes it: 5, "5"
	raw string // a string literal's text: 5 for "5"
	num bool   // the literal is a number (else a string)
	// left is set when the literal is the left side: 2 < x.
	left bool
}

// with writes the comparison of x with lit as the expression has it.
func (c *compared) with(x, lit string) string {
	if c.left {
		return lit + " " + c.op + " " + x
	}
	return x + " " + c.op + " " + lit
}

// comparisons returns, for each side of a comparison or an arithmetic
// operator in n whose other side is a number or string literal, that
// literal.
func comparisons(n ast.Node) map[ast.Node]*compared {
	out := map[ast.Node]*compared{}
	ast.Walk(&n, visitor(func(p *ast.Node) {
		b, ok := (*p).(*ast.BinaryNode)
		if !ok {
			return
		}
		switch b.Operator {
		case "==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "**":
		default:
			return
		}
		if c := literalOf(b.Right, b.Operator); c != nil {
			out[unchain(b.Left)] = c
		}
		if c := literalOf(b.Left, b.Operator); c != nil {
			c.left = true
			out[unchain(b.Right)] = c
		}
	}))
	return out
}

// unchain is n without the ?. chain around it.
func unchain(n ast.Node) ast.Node {
	if c, ok := n.(*ast.ChainNode); ok {
		return c.Node
	}
	return n
}

func literalOf(n ast.Node, op string) *compared {
	switch l := n.(type) {
	case *ast.IntegerNode:
		return &compared{op: op, lit: fmt.Sprint(l.Value), num: true}
	case *ast.FloatNode:
		return &compared{op: op, lit: fmt.Sprint(l.Value), num: true}
	case *ast.StringNode:
		return &compared{op: op, lit: fmt.Sprintf("%q", l.Value), raw: l.Value}
	}
	return nil
}

// checkCompared warns about r, a field of step t's output compared with a
// literal, when the field is known to be text and the literal a number,
// or the other way round.
func (l *loader) checkCompared(t *Step, self bool, r ref, pos Pos) {
	if t == nil || t.Entry == nil || r.cmp == nil || t.fanout && !self && !r.item {
		return
	}
	kind, c := outputFieldKind(t, r.field), r.cmp
	if kind != "string" && kind != "number" || (kind == "number") == c.num {
		return
	}
	x := outputRefText(t, self, r)
	what := fmt.Sprintf("%s is %s (the %s output of %s)", x, article(InputType(kind)), r.field, t.Op)
	if t.Op == setOp {
		what = fmt.Sprintf("%s is %s (step %s sets it so)", x, article(InputType(kind)), t.ID)
	}
	// What the comparison does, and what to write instead.
	kindWord, litWord := "a string", "the number "+c.lit
	if kind == "number" {
		kindWord, litWord = "a number", "the string "+c.lit
	}
	then := fmt.Sprintf("%s is never equal to %s, so this is false in every run", kindWord, litWord)
	switch c.op {
	case "!=":
		then = fmt.Sprintf("%s is never equal to %s, so this is true in every run", kindWord, litWord)
	case "<", ">", "<=", ">=":
		then = fmt.Sprintf("%s cannot be ordered against %s, so this fails when it is evaluated", kindWord, litWord)
	case "+", "-", "*", "/", "%", "**":
		then = fmt.Sprintf("%s of %s and %s fails when it is evaluated", c.op, kindWord, litWord)
	}
	fix := "convert it, like " + c.with("float(trim("+x+"))", c.lit)
	switch {
	case kind == "number" && c.op == "+":
		fix = "to join them as text, convert the number, like " + c.with("string("+x+")", c.lit)
		if numeric(c.raw) {
			fix += "; to add, write the number without quotes, like " + c.with(x, c.raw)
		}
	case kind == "number" && !numeric(c.raw):
		fix = fmt.Sprintf("%s it with a number, like %s", map[bool]string{true: "compare", false: "use"}[isComparison(c.op)], c.with(x, "0"))
	case kind == "number":
		fix = "write the number without quotes, like " + c.with(x, c.raw)
	case c.op == "==" || c.op == "!=":
		fix = fmt.Sprintf("compare it with text, like %s, or %s", c.with(x, `"`+c.lit+`"`), fix)
	case c.op == "+":
		fix = fmt.Sprintf("to add, %s; to join them as text, like %s", fix, c.with(x, `"`+c.lit+`"`))
	}
	l.d.Warn(pos, "%s, and %s; %s", what, then, fix)
}

// numeric reports whether a string literal's text is a number, which
// written without quotes is what a number is compared with.
func numeric(raw string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	return err == nil
}

// isComparison reports whether op compares (==, <, ...) rather than
// computes.
func isComparison(op string) bool {
	switch op {
	case "==", "!=", "<", ">", "<=", ">=":
		return true
	}
	return false
}
