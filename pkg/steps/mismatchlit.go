package steps

// The checker's "mismatched types" names two types, and the advice that
// goes by types alone speaks of values a command printed (trim, float).
// When one side is a text literal that the author wrote, as in
// steps.a.output.exit_code * '2' or vars.port == "8080", the fix is in
// that literal: a number in quotes is text, and is written without them.

import (
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// literalMismatch returns the advice, starting with "; ", for the operator
// op at byte offset off of src whose sides have the types a (left) and b
// (right), as the checker names them, when one side is a text literal
// and the other a number or a value whose type is known only when the
// run evaluates it; "" otherwise.
func literalMismatch(src string, off int, op, a, b string) string {
	tree, err := parser.Parse(src)
	if err != nil {
		return ""
	}
	var bin *ast.BinaryNode
	ast.Walk(&tree.Node, visitor(func(p *ast.Node) {
		if n, ok := (*p).(*ast.BinaryNode); ok && bin == nil && n.Operator == op && runeOffset(src, n.Location().From) == off {
			bin = n
		}
	}))
	if bin == nil {
		return ""
	}
	lit, other := bin.Right, a
	if _, ok := lit.(*ast.StringNode); !ok {
		lit, other = bin.Left, b
	}
	s, ok := lit.(*ast.StringNode)
	if !ok || !numberLike(other) {
		return ""
	}
	written := writtenLiteral(src, s)
	if numeric(s.Value) {
		plain := strings.TrimSpace(s.Value)
		if op == "+" {
			return "; " + written + " is a number in quotes, which makes it text: to add, write it without quotes, " + plain + "; to join them as text, convert the number with string(x)"
		}
		return "; " + written + " is a number in quotes, which makes it text: write it without quotes, " + plain
	}
	if op == "+" {
		return "; " + written + " is text: to join them as text, convert the number with string(x)"
	}
	if isComparison(op) && op != "==" && op != "!=" {
		return "; " + written + " is text, and " + op + " orders a number against a number: write the number without quotes, as 90 and not \"90%\""
	}
	if op == "==" || op == "!=" {
		return "; " + written + " is text, and text is never equal to a number: compare with a number, as x " + op + " 0"
	}
	return "; " + written + " is text, and " + op + " takes numbers: write a number without quotes, as 2"
}

// numberLike reports whether typ, as the checker names a type, is a
// number, or a value a number may be when the run evaluates it.
func numberLike(typ string) bool {
	switch typ {
	case "int", "int64", "float64", "float", "unknown", "interface {}":
		return true
	}
	return false
}

// writtenLiteral is the string literal s as src writes it, quotes and all
// ('2' or "2"), or s quoted when its place in src is not known.
func writtenLiteral(src string, s *ast.StringNode) string {
	loc := s.Location()
	r := []rune(src)
	if loc.From >= 0 && loc.To <= len(r) && loc.From < loc.To {
		if t := string(r[loc.From:loc.To]); len(t) >= 2 && (t[0] == '\'' || t[0] == '"') {
			return t
		}
	}
	return `"` + s.Value + `"`
}

// runTimeType is what a mismatch calls the checker's type "unknown": a
// value, such as a step's output field, whose type only the run knows.
const runTimeType = "a value known only at run time"

// mismatchHead is the checker's "invalid operation: op (mismatched types
// a and b)" in the words of a playbook's author, who never wrote the
// type "unknown".
func mismatchHead(op, a, b string) string {
	switch {
	case a == "unknown":
		return "invalid operation: " + op + " (mismatched types: " + runTimeType + ", and " + b + ")"
	case b == "unknown":
		return "invalid operation: " + op + " (mismatched types: " + a + ", and " + runTimeType + ")"
	}
	return "invalid operation: " + op + " (mismatched types " + a + " and " + b + ")"
}
