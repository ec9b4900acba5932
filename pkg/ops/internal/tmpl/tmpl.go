// Package tmpl renders text templates whose ${{ }} expressions are
// expr-lang expressions over one name, values, and nothing else. It keeps
// the safety rules of playbook expressions: the built-ins that can allocate
// without bound from a short expression are removed or bounded, the syntax
// tree and each evaluation's memory are capped, and so is the rendered text.
package tmpl

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// Limits of a template. They match those of playbook expressions.
const (
	MaxExprLen    = 4_096      // bytes of one expression
	MaxExprNodes  = 1_000      // syntax-tree nodes of one expression
	MaxExprMemory = 1_000_000  // expr's memory budget for one evaluation
	MaxExprs      = 10_000     // expressions in one template
	MaxString     = 1 << 20    // bytes a bounded built-in such as replace may build
	MaxExprWork   = 20_000_000 // units of work of one evaluation (see exprsafe)
	MaxOutput     = 16 << 20   // bytes of rendered text
)

// Error is a problem at a place in the template: line and column are
// 1-based, in runes of the template text.
type Error struct {
	Name      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, e.Msg) }

// part is literal text followed by an expression (nil after the last).
type part struct {
	text string
	prog *vm.Program
	src  string
	off  int // byte offset of src in the template
}

// Template is a compiled template. It is safe for concurrent use.
type Template struct {
	name, src string
	parts     []part
}

// Compile parses src and compiles its expressions against values, whose
// keys are the names expressions may read as values.<name>. name labels
// errors. "$${{" is a literal "${{".
func Compile(name, src string, values map[string]any) (*Template, error) {
	t := &Template{name: name, src: src}
	texts, spans, problem, at := exprsafe.Scan(src)
	if problem != "" {
		return nil, t.errAt(at, problem)
	}
	if len(spans) > MaxExprs {
		return nil, t.errAt(spans[MaxExprs].Start, fmt.Sprintf("more than %d expressions in one template", MaxExprs))
	}
	cfg := config(values)
	for i, sp := range spans {
		p := part{text: texts[i], src: sp.Src, off: sp.SrcOff}
		if err := t.compile(&p, cfg, values); err != nil {
			return nil, err
		}
		t.parts = append(t.parts, p)
	}
	t.parts = append(t.parts, part{text: texts[len(spans)]})
	return t, nil
}

// config is the compiler configuration: an environment of values and the
// context evaluations stop at (a name no expression can write), with the
// unbounded built-ins removed.
func config(values map[string]any) *conf.Config {
	if values == nil {
		values = map[string]any{}
	}
	cfg := conf.CreateNew()
	expr.Env(map[string]any{"values": values, exprsafe.ContextVar: context.Background()})(cfg)
	exprsafe.Harden(cfg, MaxExprNodes, MaxString, MaxExprWork)
	return cfg
}

func (t *Template) compile(p *part, cfg *conf.Config, values map[string]any) (err error) {
	// A panic in expr's compiler is a problem with this expression.
	defer func() {
		if r := recover(); r != nil {
			err = t.errAt(p.off, fmt.Sprintf("the expression could not be compiled (%v); simplify it", r))
		}
	}()
	switch {
	case p.src == "":
		return t.errAt(p.off, "empty expression")
	case len(p.src) > MaxExprLen:
		return t.errAt(p.off, fmt.Sprintf("expression is %d bytes, over the limit of %d", len(p.src), MaxExprLen))
	}
	tree, err := parser.ParseWithConfig(p.src, cfg)
	if err == nil {
		err = checkNames(&tree.Node, values)
	}
	if err == nil {
		_, err = exprsafe.Check(tree, cfg)
	}
	if err == nil {
		err = optimizer.Optimize(&tree.Node, cfg)
	}
	if err == nil {
		p.prog, err = compiler.Compile(tree, cfg)
	}
	if err != nil {
		off, msg := p.off, err.Error()
		var fe *file.Error
		if errors.As(err, &fe) {
			msg = fe.Message
			off += runeToByte(p.src, fe.From)
		}
		return t.errAt(off, fmt.Sprintf("expression `%s`: %s", short(p.src), msg))
	}
	return nil
}

// checkNames refuses what expr's checker lets through: $env, the built-ins
// that were removed (predicate built-ins parse whether or not they are
// disabled), and values.<name> for a name that values does not have,
// which would otherwise render as an empty string.
func checkNames(n *ast.Node, values map[string]any) error {
	var err error
	fail := func(node ast.Node, format string, args ...any) {
		if err == nil {
			err = &file.Error{Location: node.Location(), Message: fmt.Sprintf(format, args...)}
		}
	}
	ast.Walk(n, visitor(func(node *ast.Node) {
		switch x := (*node).(type) {
		case *ast.IdentifierNode:
			if x.Value == "$env" {
				fail(x, "$env is not available; read values.<name>")
			}
		case *ast.BuiltinNode:
			if slices.Contains(exprsafe.Removed, x.Name) {
				fail(x, "%s is not available in templates: it can take unbounded time or memory; compute the value in a step and pass it in values", x.Name)
			}
		case *ast.CallNode:
			if id, ok := x.Callee.(*ast.IdentifierNode); ok && (id.Value == "repeat" || id.Value == "reduce") {
				fail(x, "%s is not available in templates: it can take unbounded time or memory; compute the value in a step and pass it in values", id.Value)
			}
		case *ast.MemberNode:
			id, ok := x.Node.(*ast.IdentifierNode)
			if !ok || id.Value != "values" {
				return
			}
			prop, ok := x.Property.(*ast.StringNode)
			if !ok {
				return
			}
			if _, has := values[prop.Value]; !has {
				names := slices.Sorted(maps.Keys(values))
				list := "values is empty"
				if len(names) > 0 {
					list = "values has " + strings.Join(names, ", ")
				}
				fail(id, "unknown value %q%s; %s", prop.Value, suggest.DidYouMean(prop.Value, names), list)
			}
		}
	}))
	return err
}

type visitor func(*ast.Node)

func (v visitor) Visit(n *ast.Node) { v(n) }

// nullValue says why a template's value may be null.
func nullValue(null string) string {
	if null == "#" {
		return "" // a list's item: the list's own reader knows why
	}
	return "values gives null for it; give a value, or a default, as in values.<name> ?? []"
}

// Render evaluates the expressions and returns the text. Each value is
// written as the playbook's ${{ }} does: strings as they are, whole numbers
// without a decimal point, null as "", lists and maps as JSON. It stops
// with ctx's cause when ctx is done, also within an expression: each one
// may loop for seconds, and a template may hold thousands.
func (t *Template) Render(ctx context.Context, values map[string]any) (string, error) {
	if values == nil {
		values = map[string]any{}
	}
	env := map[string]any{"values": values, exprsafe.ContextVar: ctx}
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(p.text)
		if p.prog == nil {
			continue
		}
		if ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		m := vm.VM{MemoryBudget: exprsafe.MemoryBudget(MaxExprMemory)}
		out, err := m.Run(p.prog, env)
		if err != nil && ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		if exprsafe.OverBudget(err) {
			return "", t.errAt(p.off, fmt.Sprintf("expression `%s` built more than %d items, over the limit of one evaluation's memory; use a smaller range or list", short(p.src), MaxExprMemory))
		}
		if err != nil {
			// Named by its place in the template, not by " (1:18)" in
			// the expression, which a reader cannot find.
			off, msg := p.off, exprsafe.Problem(p.prog, err, nullValue)
			if at, ok := exprsafe.Where(err, p.src); ok {
				off, msg = p.off+at, exprsafe.TrimPosition(msg)
			}
			return "", t.errAt(off, fmt.Sprintf("expression `%s`: %s", short(p.src), msg))
		}
		b.WriteString(jsonx.Text(out))
		if b.Len() > MaxOutput {
			return "", t.errAt(p.off, fmt.Sprintf("the rendered text is over %d bytes", MaxOutput))
		}
	}
	return b.String(), nil
}

// errAt makes an Error at byte offset off of the template.
func (t *Template) errAt(off int, msg string) error {
	if off > len(t.src) {
		off = len(t.src)
	}
	before := t.src[:off]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
	return &Error{Name: t.name, Line: line, Col: col, Msg: msg}
}

func short(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func runeToByte(s string, runes int) int {
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}
