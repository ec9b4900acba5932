package steps

// Warnings about conditions that validation can tell are not what their
// author meant: one that reads nothing, so it is the same in every run,
// and one that takes a step's output field, known not to be true or
// false, as its value.

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr/ast"
)

// condNodes adds to into, and returns, the nodes of the condition n whose
// value is taken as true or false as it is: n itself, the operands of
// &&, || and !, and the test of ?:. A step's output field read at one of
// them must itself be true or false.
func condNodes(n ast.Node, into map[ast.Node]bool) map[ast.Node]bool {
	if into == nil {
		into = map[ast.Node]bool{}
	}
	into[n] = true
	switch n := n.(type) {
	case *ast.ChainNode:
		condNodes(n.Node, into)
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			condNodes(n.Node, into)
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "||", "and", "or":
			condNodes(n.Left, into)
			condNodes(n.Right, into)
		}
	case *ast.ConditionalNode:
		condNodes(n.Cond, into)
	}
	return into
}

// checkConstantCond warns about a condition that reads nothing (no step,
// input, var, env or item): `when: false`, `until: "true"`. It is true in
// every run or false in every run, which for an until means a wait that
// can only time out or a repeat that stops at once. `when: false` is a
// common way to switch a step off, so this is a warning, worded so.
func (l *loader) checkConstantCond(pe *pendingExpr, c *compiled) {
	if pe.cond == "" || c.constant == nil {
		return
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
				after = "its repeat.timeout of " + limit.String()
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
	x := fmt.Sprintf("steps.%s.output.%s", t.ID, r.field)
	switch {
	case self:
		x = "output." + r.field
	case r.item:
		x = fmt.Sprintf("steps.%s.output[0].%s", t.ID, r.field)
	}
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
	l.d.Warn(pos, "%s must give true or false, but %s, so %s fails when this is evaluated; %s, or test that it is there, %s != nil", pe.cond, what, id, fix, x)
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
