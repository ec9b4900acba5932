package steps

// Warnings about conditions that validation can tell are not what their
// author meant: one that reads nothing, so it is the same in every run,
// and one that takes a step's output field, known not to be true or
// false, as its value.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/short"
)

// condNodes adds to into, and returns, the nodes of the condition n whose
// value is taken as true or false as it is: n itself, the operands of
// &&, || and !, and the test of ?:. A step's output field read at one of
// them must itself be true or false. fn is "" for a condition, or names
// the built-in whose predicate n is ("any()").
func condNodes(n ast.Node, fn string, into map[ast.Node]string) map[ast.Node]string {
	if into == nil {
		into = map[ast.Node]string{}
	}
	into[n] = fn
	switch n := n.(type) {
	case *ast.ChainNode:
		condNodes(n.Node, fn, into)
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			condNodes(n.Node, fn, into)
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "||", "and", "or":
			condNodes(n.Left, fn, into)
			condNodes(n.Right, fn, into)
		}
	case *ast.ConditionalNode:
		condNodes(n.Cond, fn, into)
	}
	return into
}

// boolPredicates are the built-ins that take their predicate's value, for
// each item, as true or false.
var boolPredicates = map[string]bool{
	"all": true, "any": true, "none": true, "one": true, "filter": true, "count": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true,
}

// predicates calls f with each predicate of a built-in in boolPredicates
// in the expression n, and the built-in's name.
func predicates(n ast.Node, f func(p *ast.PredicateNode, fn string)) {
	ast.Walk(&n, visitor(func(n *ast.Node) {
		b, ok := (*n).(*ast.BuiltinNode)
		if !ok || !boolPredicates[b.Name] || len(b.Arguments) != 2 {
			return
		}
		if p, ok := b.Arguments[1].(*ast.PredicateNode); ok {
			f(p, b.Name+"()")
		}
	}))
}

// visitor is an ast.Visitor made of a function.
type visitor func(n *ast.Node)

func (v visitor) Visit(n *ast.Node) { v(n) }

// constPred is a predicate that reads nothing of the item it is given:
// its value is the same for every item.
type constPred struct {
	off int // in the expression's source
	fn  string
}

// constantPreds returns the predicates of all(), any(), filter() and the
// like in the expression n (whose source is src) that read no item (no
// #, no .field): all(xs, true), any(xs, inputs.force).
func constantPreds(n ast.Node, src string) []constPred {
	var out []constPred
	predicates(n, func(p *ast.PredicateNode, fn string) {
		if !predReadsItem(p.Node) {
			out = append(out, constPred{off: runeOffset(src, p.Location().From), fn: fn})
		}
	})
	return out
}

// predReadsItem reports whether the body of a predicate reads the item it is
// given, outside the predicates nested in it, which have their own.
func predReadsItem(body ast.Node) bool {
	nested := map[ast.Node]bool{}
	ast.Walk(&body, visitor(func(p *ast.Node) {
		if pr, ok := (*p).(*ast.PredicateNode); ok {
			ast.Walk(&pr.Node, visitor(func(q *ast.Node) { nested[*q] = true }))
		}
	}))
	found := false
	ast.Walk(&body, visitor(func(p *ast.Node) {
		if _, ok := (*p).(*ast.PointerNode); ok && !nested[*p] {
			found = true
		}
	}))
	return found
}

// timeFuncs are the built-ins whose value depends on when they are called.
var timeFuncs = map[string]bool{"now": true, "date": true}

// readsNothing reports whether the expression n reads no name (input,
// var, step, env, item, let) and calls nothing that depends on the time:
// its value is the same in every run.
func readsNothing(n ast.Node) bool {
	callees := map[ast.Node]bool{}
	nothing := true
	ast.Walk(&n, visitor(func(p *ast.Node) {
		switch x := (*p).(type) {
		case *ast.CallNode:
			callees[x.Callee] = true
			if id, ok := x.Callee.(*ast.IdentifierNode); ok && timeFuncs[id.Value] {
				nothing = false
			}
		case *ast.BuiltinNode:
			if timeFuncs[x.Name] {
				nothing = false
			}
		}
	}))
	ast.Walk(&n, visitor(func(p *ast.Node) {
		if id, ok := (*p).(*ast.IdentifierNode); ok && !callees[id] && id.Value != exprsafe.ContextVar {
			nothing = false
		}
	}))
	return nothing
}

// constantValue is the value of a condition that readsNothing, computed
// now, or nil when it cannot be (it fails, or is not true or false).
func constantValue(prog *vm.Program) (v *bool) {
	defer func() {
		if recover() != nil {
			v = nil
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	m := vm.VM{MemoryBudget: exprsafe.MemoryBudget(MaxExprMemory)}
	out, err := m.Run(prog, map[string]any{exprsafe.ContextVar: ctx})
	if b, ok := out.(bool); ok && err == nil {
		return &b
	}
	return nil
}

// checkConstantCond warns about a condition that reads nothing (no step,
// input, var, env or item): `when: false`, `until: "true"`, `when: 1 > 2`,
// and about a predicate that reads no item: all(xs, true). It is true in
// every run or false in every run, which for an until means a wait that
// can only time out or a repeat that stops at once. `when: false` is a
// common way to switch a step off, so this is a warning, worded so.
func (l *loader) checkConstantCond(pe *pendingExpr, c *compiled) {
	for _, cp := range c.constPreds {
		fn := strings.TrimSuffix(cp.fn, "()")
		l.d.Warn(l.posAt(pe.node, pe.off+cp.off), "the condition of %s reads nothing of the item it is given (no # and no .field), so it is the same for every item; test the item, like %s(list, # > 0) or %s(list, .status == \"ok\")", cp.fn, fn, fn)
	}
	if pe.cond == "" || c.constant == nil {
		return
	}
	for _, p := range c.constParts {
		if p.value != nil && p.top && p.pred == "" && p.decides() {
			return // expr folded x || true; checkConstantParts says where
		}
	}
	v, s := *c.constant, pe.step
	id := "?"
	if s != nil {
		id = s.ID
	}
	var msg string
	switch pe.cond {
	case "when":
		if !v {
			msg = fmt.Sprintf("when: is always false, so step %s never runs (it is always skipped); that is fine to switch the step off for a while, but if it should run on some condition, test that, like when: inputs.deploy or when: steps.check.output.exit_code == 0", id)
		} else {
			msg = "when: is always true, so it never skips the step; remove it, or test what decides, like when: inputs.deploy or when: steps.check.output.exit_code == 0"
		}
	case "retry.when":
		if !v {
			msg = "retry.when is always false, so no failed attempt is ever retried and retry.attempts does nothing; test the failure, like when: error.class == \"timeout\", or remove retry"
		} else {
			msg = "retry.when is always true, which retries what retry does without it (failures of class execution and timeout); test the failure, like when: output?.exit_code == 75, or remove when"
		}
	case "retry.until":
		if !v {
			msg = "retry.until is always false, so every attempt that succeeds is tried again, and the step fails after its last attempt; test the attempt's output, like until: output.status == 200"
		} else {
			msg = "retry.until is always true, so no attempt that succeeds is tried again and until does nothing; test the attempt's output, like until: output.status == 200, or remove until"
		}
	case "repeat.until":
		if !v {
			var limit time.Duration
			if s != nil && s.Repeat != nil {
				limit = s.Repeat.Timeout
			}
			after := "its repeat.timeout"
			if limit > 0 {
				after = "its repeat.timeout of " + short.Duration(limit)
			}
			msg = fmt.Sprintf("repeat.until is always false, so step %s runs again and again until %s runs out, then fails with class timeout; test the attempt's output, like until: output.status == 200", id, after)
		} else {
			msg = fmt.Sprintf("repeat.until is always true, so step %s stops after its first attempt and repeat does nothing; test the attempt's output, like until: output.status == 200, or remove repeat", id)
		}
	default:
		return
	}
	l.d.Warn(l.posAt(pe.node, pe.off), "%s", msg)
}

// checkBareOutput warns about a condition that takes a field of step t's
// output as its value, as in when: steps.t.output.name, when the field's
// type is known and is not a bool: a run fails there with "a condition
// must give true or false". A field whose type is a bool, any, or not
// known before the step runs is not warned about.
func (l *loader) checkBareOutput(pe *pendingExpr, t *Step, self bool, r ref, pos Pos) {
	if t == nil || t.Entry == nil || t.fanout && !self && !r.item {
		return
	}
	kind := outputFieldKind(t, r.field)
	if kind == "" {
		return
	}
	x := outputRefText(t, self, r)
	fix := fmt.Sprintf("compare it, like %s != \"\" or %s == \"yes\"", x, x)
	switch kind {
	case "number":
		fix = fmt.Sprintf("compare it, like %s > 0", x)
	case "list", "map":
		fix = fmt.Sprintf("test its length, like len(%s) > 0", x)
	}
	what := fmt.Sprintf("%s is %s (the %s output of %s)", x, article(InputType(kind)), r.field, t.Op)
	if t.Op == setOp {
		what = fmt.Sprintf("%s is %s (step %s sets it so)", x, article(InputType(kind)), t.ID)
	}
	id := "the step"
	if pe.step != nil {
		id = "step " + pe.step.ID
	}
	must := pe.cond + " must give true or false"
	if r.pred != "" {
		must = "the condition of " + r.pred + " must give true or false for each item"
	}
	l.d.Warn(pos, "%s, but %s, so %s fails when this is evaluated; %s, or test that it is there, %s != nil", must, what, id, fix, x)
}

// outputFieldKind returns "string", "number", "list" or "map" when field
// of step t's output is sure to be one, and "" when it may be true or
// false or is not known before the step runs.
func outputFieldKind(t *Step, field string) string {
	if t.Op == setOp {
		if t.With == nil {
			return ""
		}
		for i, k := range t.With.Keys {
			if k == field && t.With.Kind == KindMap {
				return valueKind(t.With.Items[i])
			}
		}
		if m, ok := t.With.Lit.(map[string]any); ok && t.With.Kind == KindLiteral {
			if x, ok := m[field]; ok {
				return valueKind(&Value{Kind: KindLiteral, Lit: x})
			}
		}
		return ""
	}
	for _, f := range t.Entry.Spec.Output {
		if f.Name != field {
			continue
		}
		switch f.Type {
		case "string", "list", "map":
			return f.Type
		case "integer", "number", "float":
			return "number"
		}
		return ""
	}
	return ""
}

// valueKind is outputFieldKind for a value written in a playbook.
func valueKind(v *Value) string {
	if v == nil {
		return ""
	}
	switch v.Kind {
	case KindTemplate:
		return "string"
	case KindList:
		return "list"
	case KindMap:
		return "map"
	case KindLiteral:
		switch v.Lit.(type) {
		case string:
			return "string"
		case int, float64:
			return "number"
		case []any:
			return "list"
		case map[string]any:
			return "map"
		}
	}
	return ""
}

// outputRefText is the output field r of step t as a playbook writes it:
// output.F in t itself (self), steps.T.output[0].F for a fan-out's item,
// steps.T.output.F otherwise.
func outputRefText(t *Step, self bool, r ref) string {
	switch {
	case self:
		return "output." + r.field
	case r.item:
		return fmt.Sprintf("steps.%s.output[0].%s", t.ID, r.field)
	}
	return fmt.Sprintf("steps.%s.output.%s", t.ID, r.field)
}
