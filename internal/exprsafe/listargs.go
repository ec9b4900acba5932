package exprsafe

import (
	"fmt"
	"reflect"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// expr's built-ins over lists go through a string known only at run time
// byte by byte: sum("ab") is 195, map(s, #) a list of byte values,
// first("abc") 97, and first(5) null. A step output read where a list was
// meant (stdout, before it is split) thus gave a wrong result instead of an
// error. The checker refuses a string it knows of; Check has every other
// argument of these built-ins checked when the evaluation gets to it.

const listFn = "exprsafe.list"

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
)

// listArgs are the built-ins that take lists, with how many of their
// first arguments are lists (-1: all of them).
var listArgs = map[string]int{
	"all": 1, "none": 1, "any": 1, "one": 1, "filter": 1, "map": 1,
	"find": 1, "findIndex": 1, "findLast": 1, "findLastIndex": 1,
	"count": 1, "sum": 1, "groupBy": 1, "sortBy": 1,
	"first": 1, "last": 1, "take": 1, "sort": 1, "reverse": 1,
	"uniq": 1, "flatten": 1, "mean": 1, "median": 1, "concat": -1,
}

// nullSafe are the built-ins over lists that take null and give null,
// as the first or last item of nothing. Every other one refuses it.
var nullSafe = map[string]struct{}{"first": {}, "last": {}}

// nullListError is a built-in over lists given null, which Problem says
// with why the value may be null.
type nullListError struct{ name string }

func (e *nullListError) Error() string { return e.name + "() was given null, not a list" }

// checkList is exprsafe.list(name, v): v, when it is a list (or a map,
// which the built-in itself refuses, saying why, or null for first and
// last), else an error naming the built-in and what it was given.
func checkList(args ...any) (any, error) {
	name, _ := args[0].(string)
	v := args[1]
	r := reflect.ValueOf(deref(v))
	switch r.Kind() {
	case reflect.Invalid:
		if _, ok := nullSafe[name]; !ok {
			// As expr's reverse, uniq, take and the rest say it; sort
			// alone would give an empty list for null.
			return nil, &nullListError{name: name}
		}
		return v, nil
	case reflect.Slice, reflect.Array, reflect.Map:
		return v, nil
	case reflect.String:
		return nil, fmt.Errorf("%s() was given a string, not a list; split it into one first, as in split(s, \"\\n\")", name)
	}
	return nil, fmt.Errorf("%s() was given %s, not a list", name, article(valueKind(r)))
}

func addListCheck(cfg *conf.Config) {
	cfg.Functions[listFn] = &builtin.Function{Name: listFn, Func: checkList, Validate: passType}
}

// routeLists has the list arguments of n checked at run time, when their
// type is not known before.
func (r *router) routeLists(n *ast.BuiltinNode) {
	count, ok := listArgs[n.Name]
	if !ok {
		return
	}
	if count < 0 || count > len(n.Arguments) {
		count = len(n.Arguments)
	}
	for i := range n.Arguments[:count] {
		if n.Arguments[i].Type().Kind() != reflect.Interface {
			continue
		}
		name := &ast.StringNode{Value: n.Name}
		name.SetLocation(n.Arguments[i].Location())
		callee := &ast.IdentifierNode{Value: listFn}
		callee.SetLocation(n.Arguments[i].Location())
		call := &ast.CallNode{Callee: callee, Arguments: []ast.Node{name, n.Arguments[i]}}
		call.SetLocation(n.Arguments[i].Location())
		n.Arguments[i] = call
		r.routed = true
	}
}

// valueKind names the kind of a value as the playbook docs do.
func valueKind(r reflect.Value) string {
	if !r.IsValid() {
		return "null"
	}
	switch r.Type() {
	case timeType:
		return "time"
	case durationType:
		return "duration"
	}
	switch r.Kind() {
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "map"
	}
	return kindName(r.Kind())
}

// article puts "a" or "an" before what.
func article(what string) string {
	switch what {
	case "null":
		return what
	case "integer":
		return "an " + what
	}
	return "a " + what
}
