package steps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/types"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// nameCheck walks an expression's syntax tree for the checks expr's type
// checker cannot make: names valid only in some places, and the step and var
// references whose validity depends on where the expression stands.
type nameCheck struct {
	src    string
	scope  scope
	vars   types.Map
	inputs types.Map
	refs   []ref
	err    *exprError
	lets   map[string]bool
	// whole are the uses of steps; bases those that a member access reads
	// from (steps.<id>). A use that is not a base reads every step at once.
	whole []*ast.IdentifierNode
	bases map[*ast.IdentifierNode]bool
	// builtins are the bare names of built-in functions that are also
	// an input or a var; callees those that a call calls (see
	// checkBuiltinNames).
	builtins []*ast.IdentifierNode
	callees  map[ast.Node]bool
	// conds are the nodes of a condition whose value is taken as true
	// or false as it is (see condNodes).
	conds map[ast.Node]string
	// cmps are the nodes compared with a literal (see comparisons).
	cmps map[ast.Node]*compared
}

// msgItemOutside follows item or index read where they are not defined.
const msgItemOutside = "is defined only for each item of a foreach step: in its with, env and retry (name, confirm, when and foreach are evaluated once for the whole step)"

// itemHint is what to add to msg, the error of expression pe, when it
// reads item or index where they are not defined: in a step without
// foreach, to add one or read an input or var; outside any step, to read
// an input or var; in the when: of a foreach step, how to run some items
// only (Ansible's when: is tested per item of a loop; here foreach gives
// the items to run).
func itemHint(pb *Playbook, pe *pendingExpr, msg string) string {
	if !strings.Contains(msg, msgItemOutside) {
		return ""
	}
	read := "an input or a var"
	if len(pb.Inputs) > 0 {
		read += " (inputs." + pb.Inputs[0].Name + ")"
	}
	switch {
	case pe.step == nil:
		return "; item is never defined outside a step: read " + read + " here"
	case !pe.step.fanout:
		return fmt.Sprintf("; to run step %s once for each item, add foreach: to it with the list (foreach: [web-1, web-2] or foreach: ${{ inputs.hosts }}); otherwise read %s", pe.step.ID, read)
	case pe.e == pe.step.When:
		return "; to run only some of the items, filter the list: foreach: filter(inventory.hosts(\"web\"), .name != \"web-3\")"
	}
	return ""
}

func (w *nameCheck) fail(n ast.Node, format string, args ...any) {
	if w.err == nil {
		w.err = &exprError{off: runeOffset(w.src, n.Location().From), msg: fmt.Sprintf(format, args...)}
	}
}

func (w *nameCheck) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.VariableDeclaratorNode:
		if w.lets == nil {
			w.lets = map[string]bool{}
		}
		w.lets[n.Name] = true
	case *ast.CallNode:
		if w.callees == nil {
			w.callees = map[ast.Node]bool{}
		}
		w.callees[n.Callee] = true
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && !w.lets[id.Value] {
			w.removed(n, id.Value)
		}
	case *ast.BuiltinNode:
		// Predicate built-ins such as reduce are parsed as BuiltinNode
		// whether or not they are disabled.
		w.removed(n, n.Name)
		w.checkItemOutputs(n)
	case *ast.IdentifierNode:
		if w.lets[n.Value] {
			return
		}
		switch n.Value {
		case EnvItem, EnvIndex:
			if w.scope&scopeItem == 0 {
				w.fail(n, "%s "+msgItemOutside, n.Value)
			}
			if n.Value == EnvItem {
				w.refs = append(w.refs, ref{kind: "item", off: runeOffset(w.src, n.Location().From)})
			}
		case EnvOutput, EnvError, EnvAttempt:
			if w.scope&scopeRetry == 0 {
				w.fail(n, "%s is defined only in retry.until, retry.when and repeat.until; elsewhere use steps.<id>.%s", n.Value, n.Value)
			}
		case EnvVars:
			if w.scope&scopeGroup != 0 {
				w.fail(n, "concurrency.group is decided before the run starts, before vars are computed; it can read inputs, env and run.playbook")
			}
		case EnvSteps:
			switch {
			case w.scope&scopeGroup != 0:
				w.fail(n, "concurrency.group is decided before the run starts; it can read inputs, env and run.playbook, not steps")
			case w.scope&scopeStart != 0:
				w.fail(n, "retry and repeat settings are computed once, when the step starts, from inputs and vars; they cannot read steps (put the value in a var, or use retry.until)")
			case w.scope&scopeVars != 0:
				w.fail(n, "vars are computed before any step runs, so they cannot read steps; use a control.set step instead")
			}
			w.whole = append(w.whole, n)
		case "$env":
			// $env is the whole environment, steps included: it would read
			// steps that are still running, and names no step it reads.
			w.fail(n, "$env is not available; name what the expression reads, like inputs.name or steps.<id>.output")
		default:
			if _, fn := builtin.Index[n.Value]; fn {
				_, in := w.inputs[n.Value]
				_, v := w.vars[n.Value]
				if in || v {
					w.builtins = append(w.builtins, n)
				}
			}
		}
	case *ast.BinaryNode:
		w.checkStatusTest(n)
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || w.lets[id.Value] {
			w.checkField(n)
			return
		}
		prop, isStr := n.Property.(*ast.StringNode)
		if id.Value == EnvSteps {
			w.bases[id] = true
		}
		switch id.Value {
		case EnvSteps, EnvVars, EnvInputs:
			if !isStr {
				w.fail(n, "%s must be read with a fixed name, like %s.name", id.Value, id.Value)
				return
			}
		case EnvEnv:
			if isStr {
				w.refs = append(w.refs, ref{kind: "env", name: prop.Value, off: runeOffset(w.src, id.Location().From)})
			}
			return
		case EnvOutput:
			// output.<field> in retry and repeat: the output of the step's
			// own attempt (of one item's, in a fan-out), checked against
			// its operation once the step is known.
			if isStr && w.scope&scopeRetry != 0 {
				w.refs = append(w.refs, ref{kind: "output", field: prop.Value, bare: w.isCond(n), pred: w.conds[n], cmp: w.cmps[n], off: runeOffset(w.src, n.Location().From)})
			}
			return
		default:
			return
		}
		switch id.Value {
		case EnvSteps:
			w.refs = append(w.refs, ref{kind: "steps", name: prop.Value, off: runeOffset(w.src, n.Location().From)})
		case EnvVars:
			if _, ok := w.vars[prop.Value]; !ok {
				w.fail(n, "unknown var %q%s; declare it under vars", prop.Value, suggest.DidYouMean(prop.Value, keys(w.vars)))
				return
			}
			w.refs = append(w.refs, ref{kind: "vars", name: prop.Value, off: runeOffset(w.src, n.Location().From)})
		case EnvInputs:
			if _, ok := w.inputs[prop.Value]; !ok {
				w.fail(n, "unknown input %q%s; declare it under inputs", prop.Value, suggest.DidYouMean(prop.Value, keys(w.inputs)))
				return
			}
			w.refs = append(w.refs, ref{kind: "inputs", name: prop.Value, off: runeOffset(w.src, id.Location().From)})
		}
	}
}

// checkWholeSteps refuses steps read as a whole (toJSON(steps),
// keys(steps), let s = steps): while the expression runs, other steps may
// still be running and writing their state, and the step graph cannot see
// which steps it reads. Playbook outputs may: every step has finished by
// then.
func (w *nameCheck) checkWholeSteps() {
	if w.scope&scopeOutputs != 0 {
		return
	}
	for _, n := range w.whole {
		if !w.bases[n] {
			w.fail(n, "steps cannot be read as a whole here: steps still running would be read while they change; name a step, like steps.<id>.output or steps.<id>.status (only playbook outputs may read all of steps)")
			return
		}
	}
}

// readsWhole reports whether the expression reads steps as a whole.
func (w *nameCheck) readsWhole() bool {
	for _, n := range w.whole {
		if !w.bases[n] {
			return true
		}
	}
	return false
}

// checkBuiltinNames catches an input or var written without its prefix
// whose name is also a built-in function (count, max, len): expr reads the
// bare name as the function, and its message about a function type would
// send the reader the wrong way. A name that is called, or that a let
// defines, is meant as it stands.
func (w *nameCheck) checkBuiltinNames() {
	for _, n := range w.builtins {
		if w.callees[n] || w.lets[n.Value] {
			continue
		}
		kind, root := "input", EnvInputs
		if _, in := w.inputs[n.Value]; !in {
			kind, root = "var", EnvVars
		}
		w.fail(n, "%s alone is the built-in function %s(); %s %s is written %s.%s", n.Value, n.Value, kind, n.Value, root, n.Value)
		return
	}
}

// removed refuses the built-ins that are not available, saying why.
func (w *nameCheck) removed(n ast.Node, name string) {
	switch name {
	case "repeat":
		w.fail(n, "repeat is not available: it can build strings large enough to exhaust memory; build the value in a step instead")
	case "reduce":
		w.fail(n, "reduce is not available: its accumulator can take minutes on a large list; use sum, join, map, filter or count, or compute the value in a step")
	}
}

// checkField checks steps.<id>.<field> and run.<field> for a readable message.
func (w *nameCheck) checkField(n *ast.MemberNode) {
	prop, ok := n.Property.(*ast.StringNode)
	if !ok {
		return
	}
	inner, ok := n.Node.(*ast.MemberNode)
	if !ok {
		return
	}
	if id, ok := inner.Node.(*ast.IdentifierNode); ok && id.Value == EnvSteps && !w.lets[EnvSteps] {
		if !yamlx.Contains(stepFields, prop.Value) {
			w.fail(n, "a step has no field %q%s; it has %s", prop.Value, suggest.DidYouMean(prop.Value, stepFields), strings.Join(stepFields, ", "))
		}
		return
	}
	// steps.<id>.output.outputs.<name>, and output.outputs.<name> in retry
	// and repeat (the step's own): the name is checked against the outputs
	// of a playbook.run step's sub-playbook once the step is known.
	if isString(inner.Property, "outputs") {
		switch mid := inner.Node.(type) {
		case *ast.MemberNode:
			if name, item, ok := w.subRunOutput(mid); ok {
				w.refs = append(w.refs, ref{kind: "suboutput", name: name, field: prop.Value, item: item, off: runeOffset(w.src, n.Location().From)})
			}
		case *ast.IdentifierNode:
			if mid.Value == EnvOutput && !w.lets[EnvOutput] && w.scope&scopeRetry != 0 {
				w.refs = append(w.refs, ref{kind: "suboutput", field: prop.Value, off: runeOffset(w.src, n.Location().From)})
			}
		}
		return
	}
	// steps.<id>.output.<field>, and one item's of a foreach step,
	// steps.<id>.output[i].<field> or steps.<id>.items[i].output.<field>:
	// the field is checked against the operation's output once the step
	// is known.
	if name, item, ok := w.subRunOutput(inner); ok {
		w.refs = append(w.refs, ref{kind: "output", name: name, field: prop.Value, item: item, bare: w.isCond(n), pred: w.conds[n], cmp: w.cmps[n], off: runeOffset(w.src, n.Location().From)})
	}
}

// subRunOutput returns <id> when n is the output of a step's run:
// steps.<id>.output, or, with item set, one item's of a foreach step,
// steps.<id>.output[i] or steps.<id>.items[i].output. The index may be any
// expression: whichever item it picks ran the same playbook.
func (w *nameCheck) subRunOutput(n *ast.MemberNode) (string, bool, bool) {
	if o, ok := n.Property.(*ast.StringNode); ok {
		if o.Value != EnvOutput {
			return "", false, false
		}
		if name, _, ok := w.stepOf(n.Node); ok {
			return name, false, true
		}
		// steps.<id>.items[i].output
		at, ok := n.Node.(*ast.MemberNode)
		if !ok || isStringNode(at.Property) {
			return "", false, false
		}
		list, ok := at.Node.(*ast.MemberNode)
		if !ok || !isString(list.Property, "items") {
			return "", false, false
		}
		name, _, ok := w.stepOf(list.Node)
		return name, true, ok
	}
	// steps.<id>.output[i]; output["name"] is a field, not an item.
	list, ok := n.Node.(*ast.MemberNode)
	if !ok || !isString(list.Property, EnvOutput) {
		return "", false, false
	}
	name, _, ok := w.stepOf(list.Node)
	return name, true, ok
}

// checkItemOutputs notes the fields read from the items of a foreach
// step in the predicate of a built-in, like
// all(steps.<id>.output, .exit_code == 0), map(steps.<id>.output,
// .outputs.<name>) or all(steps.<id>.items, .output.outputs.<name> > 0):
// there # is one item's output (or state). A predicate nested in it has
// items of its own, and is passed over.
func (w *nameCheck) checkItemOutputs(n *ast.BuiltinNode) {
	if len(n.Arguments) < 2 || w.lets[EnvSteps] {
		return
	}
	list, ok := n.Arguments[0].(*ast.MemberNode)
	pred, ok2 := n.Arguments[1].(*ast.PredicateNode)
	if !ok || !ok2 {
		return
	}
	states := isString(list.Property, "items")
	if !states && !isString(list.Property, EnvOutput) {
		return
	}
	name, _, ok := w.stepOf(list.Node)
	if !ok {
		return
	}
	all := &itemOutputs{states: states}
	ast.Walk(&pred.Node, all)
	nested := &itemOutputs{states: states}
	for _, p := range all.nested {
		ast.Walk(&p.Node, nested)
	}
	for _, m := range all.found {
		if slices.Contains(nested.found, m) {
			continue
		}
		field := m.Property.(*ast.StringNode)
		w.refs = append(w.refs, ref{kind: "suboutput", name: name, field: field.Value, item: true, off: runeOffset(w.src, m.Location().From)})
	}
	for _, m := range all.fields {
		if slices.Contains(nested.fields, m) {
			continue
		}
		field := m.Property.(*ast.StringNode)
		w.refs = append(w.refs, ref{kind: "output", name: name, field: field.Value, item: true, off: runeOffset(w.src, m.Location().From)})
	}
}

// itemOutputs finds, in a predicate, the fields of # read as an item's
// output (found: .outputs.<name>; fields: .<field>; .output.outputs.<name>
// and .output.<field> when states is set), and the predicates nested in
// it.
type itemOutputs struct {
	states bool
	found  []*ast.MemberNode
	fields []*ast.MemberNode
	nested []*ast.PredicateNode
}

func (v *itemOutputs) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		v.nested = append(v.nested, n)
	case *ast.MemberNode:
		if !isStringNode(n.Property) {
			return
		}
		if v.itemOutput(n.Node) {
			v.fields = append(v.fields, n)
		}
		outs, ok := n.Node.(*ast.MemberNode)
		if ok && isString(outs.Property, "outputs") && v.itemOutput(outs.Node) {
			v.found = append(v.found, n)
		}
	}
}

// itemOutput reports whether n is the output of the predicate's item: #
// (or .) over outputs, #.output over states.
func (v *itemOutputs) itemOutput(n ast.Node) bool {
	if v.states {
		out, ok := n.(*ast.MemberNode)
		if !ok || !isString(out.Property, EnvOutput) {
			return false
		}
		n = out.Node
	}
	p, ok := n.(*ast.PointerNode)
	return ok && p.Name == ""
}

func isStringNode(n ast.Node) bool {
	_, ok := n.(*ast.StringNode)
	return ok
}

func isString(n ast.Node, s string) bool {
	str, ok := n.(*ast.StringNode)
	return ok && str.Value == s
}

// stepOf returns <id> and where the expression starts when n is
// steps.<id>, with steps not shadowed by a let.
func (w *nameCheck) stepOf(n ast.Node) (string, int, bool) {
	step, ok := n.(*ast.MemberNode)
	if !ok {
		return "", 0, false
	}
	id, ok1 := step.Node.(*ast.IdentifierNode)
	name, ok2 := step.Property.(*ast.StringNode)
	if !ok1 || !ok2 || id.Value != EnvSteps || w.lets[EnvSteps] {
		return "", 0, false
	}
	return name.Value, id.Location().From, true
}

// isCond reports whether n is taken as true or false as it is (see
// condNodes).
func (w *nameCheck) isCond(n ast.Node) bool {
	_, ok := w.conds[n]
	return ok
}
