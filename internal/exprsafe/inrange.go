package exprsafe

import (
	"math"
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/vm/runtime"
)

// x in lo..hi with both ends written as integers is a test of x against
// the ends, not a search of a built range: expr's optimizer makes it two
// comparisons only when x is known to be an int, which an input, a
// variable or a step's output never is, and not once the range is wrapped
// to count its work, so inputs.port in 1..65535 built 65,535 items at
// every evaluation and inputs.n in 1..5000000 failed over the memory
// budget. exprsafe.inRange(x, lo, hi) gives what the search gives: true
// for a number equal to an integer from lo to hi (2, 2.0), false for
// anything else (1.5, null, "2").
const inRangeFn = "exprsafe.inRange"

var boolType = reflect.TypeOf(true)

func addInRange(cfg *conf.Config) {
	cfg.Functions[inRangeFn] = &builtin.Function{
		Name:     inRangeFn,
		Func:     inRange,
		Validate: func([]reflect.Type) (reflect.Type, error) { return boolType, nil },
	}
}

// inRange is exprsafe.inRange(x, lo, hi).
func inRange(args ...any) (any, error) {
	x := deref(args[0])
	lo, hi := args[1].(int), args[2].(int)
	var n int
	switch v := x.(type) {
	case int:
		n = v
	case int8:
		n = int(v)
	case int16:
		n = int(v)
	case int32:
		n = int(v)
	case int64:
		n = int(v)
	case uint:
		n = int(v)
	case uint8:
		n = int(v)
	case uint16:
		n = int(v)
	case uint32:
		n = int(v)
	case uint64:
		n = int(v)
	case float32:
		n = clampInt(float64(v))
	case float64:
		n = clampInt(v)
	default:
		return false, nil
	}
	// The search compares each item with x as == does; so does this, with
	// the one item that can equal x.
	return n >= lo && n <= hi && runtime.Equal(n, x), nil
}

// clampInt is the int nearest f, without Go's conversion of a float out of
// range, which is undefined.
func clampInt(f float64) int {
	switch {
	case !(f >= math.MinInt64):
		return math.MinInt64
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return int(f)
}

// routeInRange rewrites x in lo..hi, with integer literal ends, into
// exprsafe.inRange(x, lo, hi), and reports whether it did.
func (r *router) routeInRange(node *ast.Node, n *ast.BinaryNode) bool {
	rng, ok := n.Right.(*ast.BinaryNode)
	if !ok || rng.Operator != ".." {
		return false
	}
	lo, ok1 := intLiteral(rng.Left)
	hi, ok2 := intLiteral(rng.Right)
	if !ok1 || !ok2 {
		return false
	}
	loc := n.Location()
	callee := &ast.IdentifierNode{Value: inRangeFn}
	callee.SetLocation(loc)
	call := &ast.CallNode{Callee: callee, Arguments: []ast.Node{n.Left, lo, hi}}
	call.SetLocation(loc)
	*node = call
	r.patched = true
	return true
}

// intLiteral is an integer literal, negative or not, as an IntegerNode.
func intLiteral(n ast.Node) (*ast.IntegerNode, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return x, true
	case *ast.UnaryNode:
		if v, ok := x.Node.(*ast.IntegerNode); ok && x.Operator == "-" {
			neg := &ast.IntegerNode{Value: -v.Value}
			neg.SetLocation(x.Location())
			return neg, true
		}
	}
	return nil, false
}
