package exprsafe

import (
	"fmt"
	"reflect"
	"regexp"
	"regexp/syntax"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// A pattern that is not a constant (`name matches vars.re`, or one built
// from an input) is compiled when the expression runs, where expr compiles
// it again at every use, uncharged: a pattern of a few kilobytes took a
// fifth of a second each time, so a loop over it ran for minutes well
// within the work budget. exprsafe.match compiles such a pattern once per
// evaluation, charged by the size of its program before it is compiled,
// and charges the text by that size too.

const matchFn = "exprsafe.match"

const (
	// compileUnitsPerInst is the work of compiling an instruction of a
	// pattern's program: about a microsecond for one that is a large
	// character class (\pL), against the 150 ns of a unit.
	compileUnitsPerInst = 8
	// matchInstsPerUnit is how many instructions of a pattern's program
	// make a byte of the text cost one unit more to match.
	matchInstsPerUnit = 64
	// maxKeptPatterns is how many compiled patterns an evaluation keeps.
	maxKeptPatterns = 64
)

// pattern is a compiled pattern and the size of its program.
type pattern struct {
	re    *regexp.Regexp
	insts int
}

// match is exprsafe.match(budget, text, pattern): text matches pattern.
func match(args ...any) (any, error) {
	b := args[0].(*budget)
	text, ok := deref(args[1]).(string)
	if !ok {
		return nil, fmt.Errorf("matches: the text is %s, not a string", typeName(args[1]))
	}
	expr, ok := deref(args[2]).(string)
	if !ok {
		return nil, fmt.Errorf("matches: the pattern is %s, not a string; write it in quotes, like x matches \"^[0-9]+$\", or convert it with string(x)", typeName(args[2]))
	}
	p, err := b.pattern(expr)
	if err != nil {
		return nil, err
	}
	if err := b.spend(1 + len(text)*(1+p.insts/matchInstsPerUnit)); err != nil {
		return nil, err
	}
	return p.re.MatchString(text), nil
}

// pattern compiles expr, or gives back what this evaluation compiled of
// it, charging the compilation first.
func (b *budget) pattern(expr string) (*pattern, error) {
	if p, ok := b.patterns[expr]; ok {
		return p, nil
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("matches: %w", err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, fmt.Errorf("matches: %w", err)
	}
	if err := b.spend(len(prog.Inst) * compileUnitsPerInst); err != nil {
		return nil, err
	}
	compiled, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("matches: %w", err)
	}
	p := &pattern{re: compiled, insts: len(prog.Inst)}
	if b.patterns == nil {
		b.patterns = map[string]*pattern{}
	}
	if len(b.patterns) < maxKeptPatterns {
		b.patterns[expr] = p
	}
	return p, nil
}

// typeName names the kind of v as the docs do: "an integer", "a list".
func typeName(v any) string {
	v = deref(v)
	if v == nil {
		return "null"
	}
	return article(typeWord(reflect.TypeOf(v).String()))
}

func addMatch(cfg *conf.Config) {
	cfg.Functions[matchFn] = &builtin.Function{Name: matchFn, Func: match,
		Validate: func([]reflect.Type) (reflect.Type, error) { return reflect.TypeOf(true), nil }}
}

// routeMatch has a match against a pattern that is not a constant go
// through exprsafe.match; a constant one expr compiles once, when it
// compiles the expression, and only its text is charged.
func (r *router) routeMatch(node *ast.Node, n *ast.BinaryNode) {
	if _, constant := n.Right.(*ast.StringNode); constant {
		r.walk(&n.Left, regexBytesPerUnit)
		return
	}
	loc := n.Location()
	r.route(node, matchFn, n.Left, n.Right)
	if n.Operator == "not matches" {
		not := &ast.UnaryNode{Operator: "not", Node: *node}
		not.SetLocation(loc)
		*node = not
	}
}
