package exprsafe

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
)

// Check type-checks tree against cfg, which Harden prepared, then routes
// string +, join, toJSON, string, upper, lower, toBase64, fromBase64,
// replace, split, splitAfter, fromJSON, uniq, urlPathEscape and
// urlQueryEscape through the bounded builders, tests x in lo..hi with
// integer literal ends against the ends (inrange.go), has the argument of keys,
// values, toPairs, fromPairs and groupBy charged before they run, counts the work of predicates and of
// the lists built-ins walk (work.go), and checks the result again. A routed
// tree starts by declaring the evaluation's budget, so every builder the
// evaluation runs, in a let or in each turn of a map, draws on the same one.
// Use it where checker.Check would be: expr's own Patch option cannot
// declare the budget, which needs the root of the tree.
func Check(tree *parser.Tree, cfg *conf.Config) (reflect.Type, error) {
	t, err := checker.Check(tree, cfg)
	if err != nil {
		return t, err
	}
	r := &router{}
	ast.Walk(&tree.Node, r)
	if !r.routed && !r.patched {
		return t, nil
	}
	if !r.routed {
		return checker.Check(tree, cfg)
	}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: newBudget}}
	if _, ok := cfg.Env.Get(&cfg.NtCache, ContextVar); ok {
		call.Arguments = []ast.Node{&ast.IdentifierNode{Value: ContextVar}}
	}
	decl := &ast.VariableDeclaratorNode{Name: budgetVar, Value: call, Expr: tree.Node}
	decl.SetLocation(tree.Node.Location())
	tree.Node = decl
	return checker.Check(tree, cfg)
}

// routedCalls are the functions (not expr's built-ins) Check routes
// through their bounded versions.
var routedCalls = map[string]bool{"replace": true, URLPathEscape: true, URLQueryEscape: true}

// router rewrites the string builders of a checked tree into calls of their
// bounded versions, with the budget as first argument.
// patched is whether it rewrote something that needs no budget (see
// routeInRange), for which the tree is checked again all the same.
type router struct{ routed, patched bool }

func (r *router) Visit(node *ast.Node) {
	r.routeWork(node)
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if n.Operator == "+" && maybeString(n.Left) && maybeString(n.Right) && !literals(n) {
			r.route(node, concatFn, n.Left, n.Right)
		}
	case *ast.BuiltinNode:
		if _, ok := builders[n.Name]; ok {
			r.route(node, routed(n.Name), n.Arguments...)
		} else if _, ok := itemCosts[n.Name]; ok && len(n.Arguments) > 0 {
			name := &ast.StringNode{Value: n.Name}
			name.SetLocation(n.Location())
			r.route(&n.Arguments[0], itemsFn, name, n.Arguments[0])
		}
	case *ast.CallNode:
		// The checker trusts a call's recorded type and would not look at
		// its arguments again, where a builder may have been routed.
		if r.routed {
			n.SetNature(nature.Nature{})
		}
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && routedCalls[id.Value] {
			r.route(node, routed(id.Value), n.Arguments...)
		}
	}
}

func (r *router) route(node *ast.Node, fn string, args ...ast.Node) {
	loc := (*node).Location()
	b := &ast.IdentifierNode{Value: budgetVar}
	b.SetLocation(loc)
	callee := &ast.IdentifierNode{Value: fn}
	callee.SetLocation(loc)
	call := &ast.CallNode{Callee: callee, Arguments: append([]ast.Node{b}, args...)}
	call.SetLocation(loc)
	*node = call
	r.routed = true
}

// maybeString is whether a + operand may be a string: a string, or known
// only at run time.
func maybeString(n ast.Node) bool {
	k := n.Type().Kind()
	return k == reflect.String || k == reflect.Interface
}

// literals is whether both operands are string literals: the optimizer
// folds those, and they are no longer than the expression.
func literals(n *ast.BinaryNode) bool {
	_, l := n.Left.(*ast.StringNode)
	_, r := n.Right.(*ast.StringNode)
	return l && r
}
