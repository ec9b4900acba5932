package steps

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
)

// Expr is a compiled expression. Program is safe to share between
// goroutines; each evaluation needs its own vm.VM.
type Expr struct {
	Source  string
	Pos     Pos
	Program *vm.Program
	// Steps are the step ids the expression reads.
	Steps []string
	// AllSteps is set when the expression reads steps as a whole
	// (keys(steps), toJSON(steps)), which only playbook outputs may: it
	// reads every step, named in Steps or not.
	AllSteps bool
	// Flow is what the expression's value may be made of: a value
	// made of a secret is masked too.
	Flow *exprsafe.Flow

	scope scope
	step  *Step
	bool  bool
	// src, node and off say where Source is in the file: at byte off of
	// the value of node, a scalar of src.
	src  *source
	node *yaml.Node
	off  int
}

// PosAt returns where byte off of Source is in the playbook file, for a
// problem found at run time at one part of the expression; Pos when that
// is not known.
func (e *Expr) PosAt(off int) Pos {
	if e.src == nil || e.node == nil || off < 0 || off > len(e.Source) {
		return e.Pos
	}
	return e.src.posAt(e.node, e.off+off)
}

// scope says which names an expression may use.
type scope uint8

const (
	scopeVars    scope = 1 << iota // a var: inputs, env, run and earlier vars only
	scopeItem                      // inside a fan-out: item, index
	scopeRetry                     // retry.when/until: output, error, attempt
	scopeOutputs                   // playbook outputs: any step
	scopeStart                     // retry and repeat settings: inputs, vars, env and run, once when the step starts
	scopeGroup                     // concurrency.group: inputs, env and run, before the run starts
)

// exprCompiler compiles every expression of one playbook against a typed
// environment. Identical sources in the same scope compile once.
type exprCompiler struct {
	configs map[scope]*conf.Config
	base    types.Map
	cache   map[cacheKey]*compiled
	stepIDs []string // for suggestions
}

type cacheKey struct {
	src   string
	scope scope
	bool  bool
}

type compiled struct {
	prog *vm.Program
	refs []ref
	err  *exprError
	// whole is set when the expression reads steps as a whole.
	whole bool
	// kind is the kind of the result as the type checker knows it;
	// reflect.Interface when it is known only at run time. typ is the
	// type itself, for the checks that need more than its kind.
	kind reflect.Kind
	typ  reflect.Type
	// nilable is set when the result may be nil whatever typ says (see
	// mayGiveNil).
	nilable bool
	// constant is the value of a condition that reads nothing: it is
	// the same in every run.
	constant *bool
	// constPreds are the predicates that read no item (see
	// constantPreds).
	constPreds []constPred
	// constParts are the operands of && and || that read nothing in a
	// condition that reads something (see constantParts).
	constParts []constPart
	// warns are what is likely a mistake in a literal argument (see
	// literalDurations), said at its offset.
	warns []exprError
}

// ref is a name the expression reads that depends on where it is used.
type ref struct {
	kind  string // "steps", "vars", "inputs", "output" (steps.<name>.output.<field>), "suboutput" (steps.<name>.output.outputs.<field>), "status" (steps.<name>.status == "<field>"), "runstatus" (run.status == "<field>"), "class" (<name> == "<field>", name an error class as written) or "inventory"
	name  string // for "output" and "suboutput", "" is the bare output of retry and repeat: the step's own
	field string // for "output", "suboutput" and the status kinds
	// item is set for an "output" or "suboutput" read from one item of
	// a foreach step (steps.<name>.output[i], steps.<name>.items[i].output,
	// the # of map(steps.<name>.output, …)): an item's output, like that
	// of a step without foreach.
	item bool
	// bare is set for an "output" read that a condition takes as its
	// value as it is, not compared (when: steps.x.output.name).
	bare bool
	// pred names the built-in whose predicate takes a bare read as its
	// value ("any()"), "" for the condition itself.
	pred string
	// cmp is the literal a read is compared with (see comparisons).
	cmp *compared
	off int
}

type exprError struct {
	off int
	msg string
}

// inputType returns the expression type of an input.
func (t InputType) exprType() types.Type {
	switch t {
	case InputString, InputDuration:
		return types.String
	case InputNumber:
		return types.Float64
	case InputInteger:
		return types.Int
	case InputBool:
		return types.Bool
	case InputList:
		return types.TypeOf([]any{})
	case InputMap:
		return types.TypeOf(map[string]any{})
	}
	return types.Any
}

// varType is what validation knows of a var's type: a literal's, a
// string for text with ${{ }} in it, a list or map for a list or map
// written out; a var that is one expression may be anything.
func varType(v *Value) types.Type {
	if v == nil {
		return types.Any
	}
	switch v.Kind {
	case KindTemplate:
		return types.String
	case KindList:
		return types.TypeOf([]any{})
	case KindMap:
		return types.TypeOf(map[string]any{})
	case KindLiteral:
		switch v.Lit.(type) {
		case string:
			return types.String
		case int:
			return types.Int
		case float64:
			return types.Float64
		case bool:
			return types.Bool
		case []any:
			return types.TypeOf([]any{})
		case map[string]any:
			return types.TypeOf(map[string]any{})
		}
	}
	return types.Any
}

func newExprCompiler(p *Playbook) *exprCompiler {
	in := types.Map{}
	for _, i := range p.Inputs {
		in[i.Name] = i.Type.exprType()
	}
	vars := types.Map{}
	for _, v := range p.Vars {
		vars[v.Name] = varType(v.Value)
	}
	base := types.Map{
		EnvInputs: in,
		EnvVars:   vars,
		EnvEnv:    types.TypeOf(map[string]any{}),
		EnvRun:    runType,
		EnvSteps:  types.TypeOf(map[string]*StepState{}),
		// Read only through inventory.hosts (see inventory.go).
		EnvInventory: types.TypeOf(map[string]any{}),
		// The run's context, which evaluations stop at when it is done;
		// no expression can name it.
		exprsafe.ContextVar: types.Any,
	}
	var ids []string
	for _, st := range p.AllSteps() {
		ids = append(ids, st.ID)
	}
	return &exprCompiler{configs: map[scope]*conf.Config{}, base: base, cache: map[cacheKey]*compiled{}, stepIDs: ids}
}

func (c *exprCompiler) config(s scope) *conf.Config {
	key := s &^ (scopeOutputs | scopeVars | scopeStart | scopeGroup)
	if cfg, ok := c.configs[key]; ok {
		return cfg
	}
	env := types.Map{}
	for k, v := range c.base {
		env[k] = v
	}
	if s&scopeItem != 0 {
		env[EnvItem] = types.Any
		env[EnvIndex] = types.Int
	}
	if s&scopeRetry != 0 {
		env[EnvOutput] = types.Any
		env[EnvError] = types.Map{"class": types.String, "message": types.String}
		env[EnvAttempt] = types.Int
	}
	cfg := conf.CreateNew()
	expr.Env(env)(cfg)
	exprsafe.Harden(cfg, MaxExprNodes, MaxStringResult, MaxExprWork)
	addInventoryFunc(cfg)
	c.configs[key] = cfg
	return cfg
}

// compile parses, checks and compiles src. Problems come back with the byte
// offset in src they point at.
func (c *exprCompiler) compile(src string, s scope, asBool bool) *compiled {
	key := cacheKey{src, s, asBool}
	if r, ok := c.cache[key]; ok {
		return r
	}
	r := c.compileNew(src, s, asBool)
	c.cache[key] = r
	return r
}

func (c *exprCompiler) compileNew(src string, s scope, asBool bool) (r *compiled) {
	// expr's parser, checker and optimizer are not proven against every
	// input; a panic in them is a problem with this expression, reported at
	// it, not a crash of validate.
	defer func() {
		if p := recover(); p != nil {
			r = &compiled{err: &exprError{0, fmt.Sprintf("the expression could not be compiled (%v); simplify it", p)}}
		}
	}()
	if len(src) > MaxExprLen {
		return &compiled{err: &exprError{0, fmt.Sprintf("expression is %d bytes, over the limit of %d; compute parts in earlier steps", len(src), MaxExprLen)}}
	}
	if strings.TrimSpace(src) == "" {
		return &compiled{err: &exprError{0, msgEmptyExpr}}
	}
	cfg := c.config(s)
	cfg.Expect, cfg.ExpectAny = reflect.Invalid, false
	if asBool {
		cfg.Expect, cfg.ExpectAny = reflect.Bool, true
	}
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return &compiled{err: c.explain(fileErr(err, src), src, s)}
	}
	invRefs, ierr := rewriteInventory(&tree.Node, src)
	if ierr != nil {
		return &compiled{err: ierr}
	}
	w := &nameCheck{src: src, scope: s, vars: c.base[EnvVars].(types.Map), inputs: c.base[EnvInputs].(types.Map), bases: map[*ast.IdentifierNode]bool{}}
	if asBool {
		w.conds = condNodes(tree.Node, "", nil)
	}
	w.cmps = comparisons(tree.Node)
	predicates(tree.Node, func(p *ast.PredicateNode, fn string) {
		w.conds = condNodes(p.Node, fn, w.conds)
	})
	ast.Walk(&tree.Node, w)
	w.checkWholeSteps()
	w.checkBuiltinNames()
	if w.err != nil {
		return &compiled{err: w.err}
	}
	still, preds := asBool && readsNothing(tree.Node), constantPreds(tree.Node, src)
	var parts []constPart
	if !asBool || !still {
		parts = constantParts(tree.Node, src, asBool)
	}
	ld := &literalDurations{src: src}
	if ast.Walk(&tree.Node, ld); ld.err != nil {
		return &compiled{err: ld.err}
	}
	lr := &literalRanges{src: src}
	if ast.Walk(&tree.Node, lr); lr.err() != nil {
		return &compiled{err: lr.err()}
	}
	nilable := mayGiveNil(tree.Node)
	if _, err := exprsafe.Check(tree, cfg); err != nil {
		ce := fileErr(err, src)
		if asBool && strings.HasPrefix(ce.msg, "expected bool, but got ") {
			ce.msg = "a condition must be true or false, but this expression gives " + strings.TrimPrefix(ce.msg, "expected bool, but got ") + "; compare it, e.g. x > 0 or x != \"\""
			ce.off = 0
		}
		return &compiled{err: c.explain(ce, src, s)}
	}
	kind := reflect.Interface
	typ := tree.Node.Type()
	if typ != nil {
		kind = typ.Kind()
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		ce := fileErr(err, src)
		if ce.msg == "integer divide by zero" { // folding n % 0 of literals
			ce.msg = "% by zero: the right side of % is 0, so every run that reaches it fails; divide by a number other than 0"
		}
		return &compiled{err: ce}
	}
	var constant *bool
	if b, ok := tree.Node.(*ast.BoolNode); ok && asBool {
		constant = &b.Value
	}
	prog, err := compiler.Compile(tree, cfg)
	if err != nil {
		return &compiled{err: fileErr(err, src)}
	}
	if constant == nil && still {
		constant = constantValue(prog) // 1 > 2, all([1, 2], # > 5)
	}
	partValues(parts, cfg)
	return &compiled{prog: prog, refs: append(w.refs, invRefs...), kind: kind, typ: typ, nilable: nilable, whole: w.readsWhole(), constant: constant, constPreds: preds, constParts: parts, warns: ld.warns}
}

// msgEmptyExpr is the problem of an expression with nothing in it;
// compileAll says what to do, which depends on how it is written.
const msgEmptyExpr = "empty expression"

// emptyExprFix says what to do about an empty expression in value, the
// YAML text it stands in.
func emptyExprFix(value string) string {
	if strings.Contains(value, "${{") {
		return "empty expression: write an expression between ${{ and }}, like ${{ inputs.name }}, or remove the ${{ }}"
	}
	return "empty expression: write one, like inputs.name != \"\", or remove the key"
}

// fileErr turns expr's error into a message and a byte offset.
func fileErr(err error, src string) *exprError {
	fe, ok := err.(*file.Error)
	if !ok {
		return &exprError{0, err.Error()}
	}
	msg := fe.Message
	if msg == "" {
		msg = err.Error()
	}
	msg = strings.ReplaceAll(msg, "*steps.StepState", "step state")
	msg = strings.ReplaceAll(msg, "steps.RunState", "run")
	msg = strings.ReplaceAll(msg, "steps.ErrorState", "error")
	off := runeOffset(src, fe.From)
	return &exprError{off, msg}
}

func runeOffset(s string, runes int) int {
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

func keys(m types.Map) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
