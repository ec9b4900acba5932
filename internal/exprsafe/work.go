package exprsafe

import (
	"context"
	"fmt"
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/vm/runtime"
)

// The work an evaluation may do. expr's VM cannot be interrupted and has no
// bound on time: its memory budget stops what an expression builds, not
// what it loops over, so sum(r, sum(r, count(r, # > 0))) over a range of a
// thousand ran for a minute, past the step's timeout, a cancel and
// SIGTERM. Check has each turn of a built-in's predicate, the lists a
// built-in walks without one (sum, max, sort, in ...) and the strings it
// searches (contains, matches, indexOf ...) draw on the evaluation's
// budget, by about what they cost: past maxWork the evaluation fails, and
// at every draw the context (ContextVar in the environment, when there is
// one: the run's, with the step's timeout) is asked whether it is done.

// ContextVar is the environment variable that holds the context an
// evaluation stops at, when it is done. The dot keeps it out of what an
// expression can write.
const ContextVar = "exprsafe.ctx"

const (
	turnFn = "exprsafe.turn"
	walkFn = "exprsafe.walk"
)

// Units of work, against a turn of a predicate (about 150 ns): the items
// of a list a built-in walks, sorts or copies, and the bytes of a string
// searched or read by a regular expression, that cost about as much
// (measured with expr v1.17.8 and Go's regexp).
const (
	summedPerUnit     = 1  // summed, compared for max and min (by reflection)
	itemsPerUnit      = 16 // compared for in
	copiedPerUnit     = 4  // copied, flattened
	sortedPerUnit     = 1  // sorted (n log n)
	bytesPerUnit      = 64 // a string searched
	regexBytesPerUnit = 1  // a string a regular expression reads
)

// walks are the built-ins that go through their list or string arguments
// without a predicate (with one, its turns are counted instead), with the
// items (or bytes, for strings) that cost a unit.
var walks = map[string]int{
	"sum": summedPerUnit, "max": summedPerUnit, "min": summedPerUnit, "mean": summedPerUnit,
	"median": sortedPerUnit, "sort": sortedPerUnit,
	"reverse": copiedPerUnit, "flatten": copiedPerUnit, "concat": copiedPerUnit,
	"indexOf": bytesPerUnit, "lastIndexOf": bytesPerUnit, "hasPrefix": bytesPerUnit, "hasSuffix": bytesPerUnit,
	"trim": bytesPerUnit, "trimPrefix": bytesPerUnit, "trimSuffix": bytesPerUnit,
}

// spend takes n units of work from the evaluation's budget, and stops the
// evaluation when its context is done.
func (b *budget) spend(n int) error {
	b.work += n
	if b.work > b.maxWork {
		return fmt.Errorf("the expression did more than %d units of work (see \"Limits\" in docs/playbooks.md), as a search of a list inside a loop over another does; look items up in a map instead (let allowed = fromPairs(map(list, [#, true])); allowed[x] ?? false), work over shorter lists, or compute the parts in earlier steps", b.maxWork)
	}
	if b.done != nil {
		select {
		case <-b.done:
			return context.Cause(b.ctx)
		default:
		}
	}
	return nil
}

// turn is exprsafe.turn(budget, v): a turn of a predicate, whose value v
// it gives back.
func turn(args ...any) (any, error) {
	if err := args[0].(*budget).spend(1); err != nil {
		return nil, err
	}
	return args[1], nil
}

// walk is exprsafe.walk(budget, per, v): a list a built-in walks or a
// string it searches, charged a unit for every per items or bytes, given
// back.
func walk(args ...any) (any, error) {
	per := max(runtime.ToInt(args[1]), 1)
	n := 1
	switch r := reflect.ValueOf(deref(args[2])); r.Kind() {
	case reflect.Slice, reflect.Array, reflect.String:
		n += r.Len() / per
	}
	if err := args[0].(*budget).spend(n); err != nil {
		return nil, err
	}
	return args[2], nil
}

// passType gives the type of the value passed through, the last
// argument: the built-in or predicate around it is checked as if it were
// not wrapped, as it still is.
func passType(args []reflect.Type) (reflect.Type, error) { return args[len(args)-1], nil }

func addWork(cfg *conf.Config) {
	cfg.Functions[turnFn] = &builtin.Function{Name: turnFn, Func: turn, Validate: passType}
	cfg.Functions[walkFn] = &builtin.Function{Name: walkFn, Func: walk, Validate: passType}
}

// routeWork wraps what node costs in work: the body of a predicate, the
// list a built-in walks, the list `in` searches.
func (r *router) routeWork(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		r.route(&n.Node, turnFn, n.Node)
	case *ast.BuiltinNode:
		r.routeLists(n)
		if per, ok := walks[n.Name]; ok {
			for i := range n.Arguments {
				r.walk(&n.Arguments[i], per)
			}
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "in", "not in":
			if n.Operator == "in" && r.routeInRange(node, n) {
				return
			}
			if k := n.Right.Type().Kind(); k == reflect.Slice || k == reflect.Array || k == reflect.Interface {
				r.walk(&n.Right, itemsPerUnit)
			}
		case "contains", "not contains", "startsWith", "endsWith":
			r.walk(&n.Left, bytesPerUnit)
		case "matches", "not matches":
			r.routeMatch(node, n)
		}
	}
}

// walk wraps the operand at node in exprsafe.walk, charged a unit for
// every per items or bytes.
func (r *router) walk(node *ast.Node, per int) {
	rate := &ast.IntegerNode{Value: per}
	rate.SetLocation((*node).Location())
	r.route(node, walkFn, rate, *node)
}
