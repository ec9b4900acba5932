package steps

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
