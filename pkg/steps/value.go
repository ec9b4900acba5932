package steps

import (
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
)

// ValueKind says how a Value is computed.
type ValueKind uint8

// The kinds of Value.
const (
	// KindLiteral is plain data; Lit holds it.
	KindLiteral ValueKind = iota
	// KindExpr is exactly one ${{ expr }}: the result keeps its type.
	KindExpr
	// KindTemplate is a string with ${{ }} inside: the result is a string.
	KindTemplate
	// KindMap is a mapping with at least one dynamic value.
	KindMap
	// KindList is a list with at least one dynamic item.
	KindList
)

// Value is a parameter, env, name or output value that may interpolate
// expressions. Interpolation is one pass: what an expression returns is data
// and is never interpolated again.
type Value struct {
	Kind  ValueKind
	Pos   Pos
	Lit   any      // KindLiteral: the whole value, plain data
	Expr  *Expr    // KindExpr
	Parts []Part   // KindTemplate
	Keys  []string // KindMap, parallel to Items
	Items []*Value // KindMap and KindList
	// Escaped marks the value of a parameter that is an operation's own
	// template (ops.Param.Template): the strings expressions give are
	// written with ${{ escaped as $${{, so the operation reads them as
	// text.
	Escaped bool
}

// Dynamic reports whether computing the value evaluates an expression.
func (v *Value) Dynamic() bool { return v != nil && v.Kind != KindLiteral }

// Part is a piece of a template: literal text, then an expression (nil for
// the last piece).
type Part struct {
	Text string
	Expr *Expr
}

// exprSpan is one ${{ }} found in a string: the expression text and its byte
// offsets in the string.
type exprSpan struct {
	src        string
	start, end int // start of "${{", end after "}}"
	srcOff     int // offset of src in the string
}

// scanTemplate finds the ${{ }} spans of s. An expression ends at the first
// "}}" outside string literals and braces, so `${{ {"a": {"b": 1}} }}` works.
// "$${{" is a literal "${{". It returns the literal pieces between spans
// and a message when a span is not closed.
func scanTemplate(s string) (texts []string, spans []exprSpan, problem string, probOff int) {
	var text strings.Builder
	i := 0
	for {
		j := strings.Index(s[i:], "${{")
		if j < 0 {
			text.WriteString(s[i:])
			texts = append(texts, text.String())
			return texts, spans, "", 0
		}
		j += i
		if j > 0 && s[j-1] == '$' {
			text.WriteString(s[i : j-1])
			text.WriteString("${{")
			i = j + 3
			continue
		}
		text.WriteString(s[i:j])
		end := exprsafe.CloseExpr(s, j+3)
		if end < 0 {
			return nil, nil, "${{ is not closed by }}; close it, or write $${{ for a literal ${{", j
		}
		texts = append(texts, text.String())
		text.Reset()
		raw := s[j+3 : end]
		lead := len(raw) - len(strings.TrimLeft(raw, " \t\n"))
		spans = append(spans, exprSpan{src: strings.TrimSpace(raw), start: j, end: end + 2, srcOff: j + 3 + lead})
		i = end + 2
	}
}
