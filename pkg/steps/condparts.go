package steps

// A part of a condition joined with && or || that reads nothing is the
// same in every run: `1 == 1 && inputs.n > 2` tests only inputs.n,
// `inputs.n > 2 || true` is always true. The whole condition is judged
// by checkConstantCond; this finds such a part in one that reads
// something, in the condition of all(), any() and the like that reads
// its item (`all(xs, # > 0 && true)`), and the test of a ?: that reads
// nothing (`1 == 1 ? "a" : "b"`).

import (
	"fmt"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// constPart is an operand of && or || in a condition that reads nothing.
type constPart struct {
	off  int    // of its first token, in the expression's source
	text string // as expr prints it
	op   string // "&&" or "||", as the condition writes it; "?:" for a test
	// top is set when the && or || is the condition itself, not a part
	// of it.
	top bool
	// pred names the built-in whose condition the part is in ("all()"),
	// "" for the expression's own.
	pred string
	// then and els are the values of a ?: whose test the part is.
	then, els string
	// value is the part's value, computed once the condition has
	// compiled; nil when it cannot be.
	value *bool
}

// constantParts returns, in the order they are written, the parts of
// the expression n (whose source is src) that read nothing: the operands
// of the && and || of n when it is a condition (cond), and of the
// condition of each built-in like all() that reads its item, and the
// test of each ?:. `a && b && c` is one chain of three operands.
func constantParts(n ast.Node, src string, cond bool) []constPart {
	var out []constPart
	if cond {
		out = andOrParts(n, src, "")
	}
	predicates(n, func(p *ast.PredicateNode, fn string) {
		if predReadsItem(p.Node) { // one that does not, constPreds says so
			out = append(out, andOrParts(p.Node, src, fn)...)
		}
	})
	ast.Walk(&n, visitor(func(p *ast.Node) {
		c, ok := (*p).(*ast.ConditionalNode)
		if ok && isConstant(c.Cond) {
			out = append(out, constPart{off: runeOffset(src, firstRune(c.Cond)), text: c.Cond.String(), op: "?:", then: c.Exp1.String(), els: c.Exp2.String()})
		}
	}))
	sortParts(out)
	return out
}

// andOrParts returns the operands of the && and || of the condition n
// that read nothing; fn names the built-in whose condition n is, or "".
func andOrParts(n ast.Node, src, fn string) []constPart {
	top := n
	if c, ok := top.(*ast.ChainNode); ok {
		top = c.Node
	}
	var out []constPart
	for node := range condNodes(n, fn, nil) {
		b, ok := node.(*ast.BinaryNode)
		if !ok || !isAndOr(b.Operator) {
			continue
		}
		for _, side := range []ast.Node{b.Left, b.Right} {
			if sb, ok := side.(*ast.BinaryNode); ok && sameAndOr(sb.Operator, b.Operator) {
				continue // its own operands are looked at as its node's
			}
			if isConstant(side) {
				out = append(out, constPart{off: runeOffset(src, firstRune(side)), text: side.String(), op: b.Operator, top: chainTop(top, b), pred: fn})
			}
		}
	}
	return out
}

// isConstant reports whether n reads nothing, not even the item of the
// built-in whose condition it is in.
func isConstant(n ast.Node) bool {
	return readsNothing(n) && !predReadsItem(n)
}

// isAndOr reports whether op joins two conditions.
func isAndOr(op string) bool {
	switch op {
	case "&&", "||", "and", "or":
		return true
	}
	return false
}

// isSameOp reports whether n is a && or || written op.
func isSameOp(n ast.Node, op string) bool {
	b, ok := n.(*ast.BinaryNode)
	return ok && sameAndOr(b.Operator, op)
}

// sameAndOr reports whether a and b are the same operator, && and "and"
// being one.
func sameAndOr(a, b string) bool {
	norm := func(s string) string {
		switch s {
		case "and":
			return "&&"
		case "or":
			return "||"
		}
		return s
	}
	return norm(a) == norm(b)
}

// chainTop reports whether b is top, or an operand of a chain of the same
// operator that top is: `a && b && c` is (a && b) && c.
func chainTop(top ast.Node, b *ast.BinaryNode) bool {
	for n := top; ; {
		if n == ast.Node(b) {
			return true
		}
		tb, ok := n.(*ast.BinaryNode)
		if !ok || !sameAndOr(tb.Operator, b.Operator) {
			return false
		}
		if isSameOp(tb.Left, b.Operator) && contains(tb.Left, b) {
			n = tb.Left
		} else if isSameOp(tb.Right, b.Operator) && contains(tb.Right, b) {
			n = tb.Right
		} else {
			return false
		}
	}
}

// contains reports whether the tree n holds the node x.
func contains(n ast.Node, x ast.Node) bool {
	found := false
	ast.Walk(&n, visitor(func(p *ast.Node) {
		if *p == x {
			found = true
		}
	}))
	return found
}

// firstRune is the rune offset of the first token of n: an operator's
// own location is that of the operator, not of its left side.
func firstRune(n ast.Node) int {
	first := n.Location().From
	ast.Walk(&n, visitor(func(p *ast.Node) {
		if f := (*p).Location().From; f < first {
			first = f
		}
	}))
	return first
}

// sortParts orders parts as they are written.
func sortParts(ps []constPart) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].off < ps[j-1].off; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// decides reports whether p, whose value is known, decides the && or ||
// it is in: false in &&, true in ||.
func (p constPart) decides() bool {
	return *p.value == sameAndOr(p.op, "||")
}

// partValues computes the value of each part, compiled on its own with
// cfg, which the condition compiled with.
func partValues(ps []constPart, cfg *conf.Config) {
	for i := range ps {
		c := *cfg
		tree, err := parser.ParseWithConfig(ps[i].text, &c)
		if err != nil {
			continue
		}
		if _, err := exprsafe.Check(tree, &c); err != nil {
			continue
		}
		prog, err := compiler.Compile(tree, &c)
		if err != nil {
			continue
		}
		ps[i].value = constantValue(prog)
	}
}

// checkConstantParts warns about each part of the condition of pe that
// reads nothing: one that changes nothing (true in &&, false in ||), and
// one that decides the && or || it is in (false in &&, true in ||).
func (l *loader) checkConstantParts(pe *pendingExpr, c *compiled) {
	for _, p := range c.constParts {
		if p.value == nil {
			continue
		}
		v := *p.value
		is := fmt.Sprintf("%s is always %v, so it", p.text, v)
		if p.text == "true" || p.text == "false" {
			is = p.text + " here"
		}
		const fix = "remove it, or write the test it stands in for, like inputs.deploy"
		var msg string
		switch {
		case p.op == "?:":
			msg = ternaryWords(p, is)
		case !p.decides():
			msg = fmt.Sprintf("%s changes nothing in this %s: the rest of it decides alone; %s", is, p.op, fix)
		case p.top && p.pred != "":
			msg = fmt.Sprintf("%s makes the whole condition of %s always %v, for every item, whatever the rest gives; remove it, or test the item, like # > 0", is, p.pred, v)
		case p.top:
			msg = fmt.Sprintf("%s makes the whole %s: always %v, whatever the rest gives%s; %s", is, pe.cond, v, condEffect(pe, v), fix)
		default:
			msg = fmt.Sprintf("%s makes the %s it is in always %v, whatever its other side gives; %s", is, p.op, v, fix)
		}
		l.d.Warn(l.posAt(pe.node, pe.off+p.off), "%s", msg)
	}
}

// condEffect is what a condition of pe that is always v does, as
// ", so …", or "" when there is nothing to add.
func condEffect(pe *pendingExpr, v bool) string {
	id := "the step"
	if pe.step != nil {
		id = "step " + pe.step.ID
	}
	switch pe.cond {
	case "when":
		if !v {
			return ", so " + id + " never runs"
		}
		return ", so it never skips " + id
	case "retry.when":
		if !v {
			return ", so no failed attempt is retried"
		}
		return ", so it retries what retry does without it"
	case "retry.until":
		if !v {
			return ", so every attempt that succeeds is tried again and " + id + " fails after its last"
		}
		return ", so no attempt that succeeds is tried again"
	case "repeat.until":
		if !v {
			return ", so " + id + " runs again until its repeat.timeout runs out, then fails"
		}
		return ", so " + id + " stops after its first attempt"
	}
	return ""
}

// ternaryWords is the warning for p, the test of a ?: that reads
// nothing, which is as is says.
func ternaryWords(p constPart, is string) string {
	gives, never := p.then, p.els
	if !*p.value {
		gives, never = never, gives
	}
	gives, never = yamlx.Truncate(gives, 40), yamlx.Truncate(never, 40)
	return fmt.Sprintf("%s always gives %s of this ?:, never %s; write %s alone, or test what decides, like inputs.deploy", is, gives, never, gives)
}
