package exprsafe

import (
	"context"
	"fmt"
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// The work an evaluation may do. expr's VM cannot be interrupted and has no
// bound on time: its memory budget stops what an expression builds, not
// what it loops over, so sum(r, sum(r, count(r, # > 0))) over a range of a
// thousand ran for a minute, past the step's timeout, a cancel and
// SIGTERM. Check has each turn of a built-in's predicate, and each item a
// built-in without one walks (sum, max, sort, in ...), draw on the
// evaluation's budget: past maxWork the evaluation fails, and every
// pollEvery units the run's context (ContextVar in the environment, when
// there is one) is asked whether it was cancelled.

// ContextVar is the environment variable that holds the context an
// evaluation stops at, when it is done. The dot keeps it out of what an
// expression can write.
const ContextVar = "exprsafe.ctx"

const (
	turnFn  = "exprsafe.turn"
	walkFn  = "exprsafe.walk"
	pollOne = 1 << 12
)

// walks are the built-ins that go through their list argument without a
// predicate (with one, its turns are counted instead).
var walks = map[string]bool{
	"sum": true, "max": true, "min": true, "mean": true, "median": true,
	"sort": true, "reverse": true, "flatten": true, "concat": true,
}

// spend takes n units of work from the evaluation's budget.
func (b *budget) spend(n int) error {
	b.work += n
	if b.work > b.maxWork {
		return fmt.Errorf("the expression did more than %d units of work (MaxExprWork; see \"Limits\" in docs/playbooks.md), as a loop over a list inside another does; work over shorter lists, or compute the parts in earlier steps", b.maxWork)
	}
	if b.ctx != nil && b.work-b.polled >= pollOne {
		b.polled = b.work
		if err := b.ctx.Err(); err != nil {
			return context.Cause(b.ctx)
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

// walk is exprsafe.walk(budget, v): a list a built-in walks, charged by
// its length, given back.
func walk(args ...any) (any, error) {
	n := 1
	switch r := reflect.ValueOf(deref(args[1])); r.Kind() {
	case reflect.Slice, reflect.Array:
		n += r.Len()
	}
	if err := args[0].(*budget).spend(n); err != nil {
		return nil, err
	}
	return args[1], nil
}

// passType gives the type of the value passed through: the built-in or
// predicate around it is checked as if it were not wrapped, as it still is.
func passType(args []reflect.Type) (reflect.Type, error) { return args[1], nil }

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
		if walks[n.Name] {
			for i := range n.Arguments {
				r.route(&n.Arguments[i], walkFn, n.Arguments[i])
			}
		}
	case *ast.BinaryNode:
		if n.Operator == "in" || n.Operator == "not in" {
			if k := n.Right.Type().Kind(); k == reflect.Slice || k == reflect.Array || k == reflect.Interface {
				r.route(&n.Right, walkFn, n.Right)
			}
		}
	}
}
