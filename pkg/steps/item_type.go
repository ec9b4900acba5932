package steps

import (
	"reflect"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// foreachItemType is, for a parameter expression that is item alone, the
// type every item of its step's foreach has when validate can know it: a
// list written out whose items are all numbers, all bools or all text
// (foreach: [101, 102]), a range (1..3), or an expression the type
// checker gives a typed list. The expression environment declares item as any,
// so without this `command: [kill, "${{ item }}"]` over pids passed
// validate and failed at run time, partway through the run. "" when the
// type is not known here.
func (l *loader) foreachItemType(pe *pendingExpr) ops.Type {
	s := pe.step
	if s == nil || s.Foreach == nil || strings.TrimSpace(pe.e.Source) != EnvItem {
		return ""
	}
	if c := l.comp.compile(s.Foreach.Source, s.Foreach.scope, false); c.err == nil && c.typ != nil &&
		(c.typ.Kind() == reflect.Slice || c.typ.Kind() == reflect.Array) {
		if t := dataType(c.typ.Elem()); t != "" {
			return t
		}
	}
	tree, err := parser.Parse(s.Foreach.Source)
	if err != nil {
		return ""
	}
	if r, ok := tree.Node.(*ast.BinaryNode); ok && r.Operator == ".." {
		return ops.TypeInteger
	}
	list, ok := tree.Node.(*ast.ArrayNode)
	if !ok || len(list.Nodes) == 0 {
		return ""
	}
	var got ops.Type
	for _, it := range list.Nodes {
		var t ops.Type
		switch it.(type) {
		case *ast.IntegerNode:
			t = ops.TypeInteger
		case *ast.FloatNode:
			t = ops.TypeNumber
		case *ast.BoolNode:
			t = ops.TypeBool
		case *ast.StringNode:
			t = ops.TypeString
		default:
			return ""
		}
		switch {
		case got == "" || got == t:
			got = t
		case fits(ops.TypeNumber, got) && fits(ops.TypeNumber, t):
			got = ops.TypeNumber // 1 and 1.5: numbers both
		default:
			return ""
		}
	}
	return got
}
