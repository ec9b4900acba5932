package steps

// Checking, at load time, the type of an operation parameter written with
// ${{ }} against the type the operation declares. A literal parameter is
// checked by the operation's schema; one holding ${{ }} is passed to it as
// ops.Deferred and checked again once interpolated. In between, a value
// whose type is already known and that the schema would certainly refuse
// is reported here, so that validate fails rather than the run, partway.

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// paramWant is what the result of a parameter expression must fit: the
// parameter's type or, for an item of a list parameter, its item type.
type paramWant struct {
	step  *Step
	param *ops.Param
	item  int // the item's index in a list parameter; -1 for the whole value
}

func (w *paramWant) typ() ops.Type {
	if w.item >= 0 {
		return w.param.Items
	}
	return w.param.Type
}

// expectParam records the type the expressions of v must give to fit
// parameter p of step s: v as a whole when it is one ${{ }}, and each item
// of a list parameter that declares its items' type. pending[from:] are
// the expressions v holds. A value with ${{ }} inside text is a string,
// known now, and is checked at once. Values nested deeper, and the items
// of maps, have no declared type and are left to the run.
func (l *loader) expectParam(v *Value, p *ops.Param, s *Step, from int) {
	if !v.Dynamic() {
		return
	}
	want := map[*Expr]*paramWant{}
	switch v.Kind {
	case KindExpr:
		want[v.Expr] = &paramWant{step: s, param: p, item: -1}
	case KindTemplate:
		l.checkTemplateParam(v, &paramWant{step: s, param: p, item: -1})
	case KindList:
		if p.Type != ops.TypeList || p.Items == "" || p.Items == ops.TypeAny {
			return
		}
		for i, it := range v.Items {
			switch it.Kind {
			case KindExpr:
				want[it.Expr] = &paramWant{step: s, param: p, item: i}
			case KindTemplate:
				l.checkTemplateParam(it, &paramWant{step: s, param: p, item: i})
			}
		}
	}
	if len(want) == 0 {
		return
	}
	for _, pe := range l.pending[from:] {
		if w := want[pe.e]; w != nil {
			pe.param = w
		}
	}
}

// checkParamType refuses a parameter expression whose result the type
// checker knows and the operation's schema would refuse when the step
// runs. A result known only at run time (any, an op's output, fromJSON)
// is left to the run.
func (l *loader) checkParamType(pe *pendingExpr, c *compiled) {
	w := pe.param
	got, of := dataType(c.typ), ""
	if got == "" {
		if got = l.foreachItemType(pe); got != "" {
			of = " (every item of the step's foreach does)"
		}
	}
	if got == "" || fits(w.typ(), got) {
		return
	}
	if c.nilable && w.item < 0 && !w.param.Required {
		// nil leaves an optional parameter unset, which passes.
		return
	}
	l.d.AddFor(l.posAt(pe.node, pe.off), "step "+w.step.ID, "%s: `%s` gives %s%s, but %s wants %s; %s%s",
		w.where(), shortSource(pe.e.Source, 80), paramArticle(got), of, w.step.Op, w.wants(), typeFix(w.typ(), got, pe.e.Source, c.typ), w.hint())
}

// checkTemplateParam refuses text with ${{ }} inside, always a string, for
// a parameter that cannot take a string.
func (l *loader) checkTemplateParam(v *Value, w *paramWant) {
	if fits(w.typ(), ops.TypeString) {
		return
	}
	fix := "write the value as one ${{ }} alone, like \"${{ inputs.name }}\", which keeps the expression's type"
	if w.typ() == ops.TypeList {
		fix = "write it as a list"
		if sh := ops.ShellSyntax(literalText(v.Parts)); sh != "" {
			fix += fmt.Sprintf(", which runs no shell: %q here would be a plain word", sh)
		} else if l := listOf(v.Parts); l != "" {
			fix += ", like " + l
		}
	}
	l.d.AddFor(v.Pos, "step "+w.step.ID, "%s: text with ${{ }} inside gives a string, but %s wants %s; %s%s",
		w.where(), w.step.Op, w.wants(), fix, w.hint())
}

// literalText is the text of a template outside its ${{ }}.
func literalText(parts []Part) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// listOf writes the words of a template as a YAML list, each ${{ }} kept
// whole in its word, or "" when that would be long.
func listOf(parts []Part) string {
	var b strings.Builder
	var exprs []string
	for _, p := range parts {
		b.WriteString(p.Text)
		if p.Expr != nil {
			fmt.Fprintf(&b, "\x00%d\x00", len(exprs))
			exprs = append(exprs, "${{ "+strings.TrimSpace(p.Expr.Source)+" }}")
		}
	}
	words := strings.Fields(b.String())
	for i, w := range words {
		if !strings.Contains(w, "\x00") {
			continue
		}
		for j, e := range exprs {
			w = strings.ReplaceAll(w, fmt.Sprintf("\x00%d\x00", j), e)
		}
		words[i] = strconv.Quote(w)
	}
	out := "[" + strings.Join(words, ", ") + "]"
	if len(words) == 0 || len(out) > 100 {
		return ""
	}
	return out
}

// hint is the parameter's own advice for a value of the wrong type, as the
// run gives it: "; or use script: instead".
func (w *paramWant) hint() string {
	if w.item >= 0 || w.param.TypeHint == "" {
		return ""
	}
	return "; " + w.param.TypeHint
}

// where names the parameter (and item); the step is named by AddFor.
func (w *paramWant) where() string {
	if w.item >= 0 {
		return fmt.Sprintf("param %s: item %d", w.param.Name, w.item)
	}
	return "param " + w.param.Name
}

func (w *paramWant) wants() string {
	if w.item >= 0 {
		return "a list of " + string(w.typ()) + "s"
	}
	return paramArticle(w.typ())
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	timeType     = reflect.TypeFor[time.Time]()
)

// dataType names the parameter type of the plain data an expression of
// static type t gives when the step runs, as the engine converts it: any
// integer kind an integer, a slice a list, a map a map, a duration or a
// time a string. It returns "" when the data's type is not certain: an
// interface, a pointer (which may be nil), a struct, or a named type other
// than those.
func dataType(t reflect.Type) ops.Type {
	switch t {
	case nil:
		return ""
	case durationType, timeType:
		return ops.TypeString
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return ops.TypeList
	case reflect.Map:
		return ops.TypeMap
	}
	if t.Name() != "" && t.PkgPath() != "" {
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return ops.TypeString
	case reflect.Bool:
		return ops.TypeBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return ops.TypeInteger
	case reflect.Float32, reflect.Float64:
		return ops.TypeNumber
	}
	return ""
}

// fits reports whether a value of type got may pass as a parameter of
// type want, following the operation schema's conversions: an integer
// and a number each pass for the other (a whole number is an integer),
// and a duration is written as a string.
func fits(want, got ops.Type) bool {
	switch want {
	case ops.TypeAny, "":
		return true
	case ops.TypeInteger, ops.TypeNumber:
		return got == ops.TypeInteger || got == ops.TypeNumber
	case ops.TypeDuration:
		return got == ops.TypeString
	}
	return got == want
}

func paramArticle(t ops.Type) string {
	switch t {
	case ops.TypeInteger:
		return "an integer"
	case ops.TypeDuration:
		return "a duration like 30s"
	}
	return "a " + string(t)
}

// typeFix says how to give a value of type want from an expression of type
// got.
func typeFix(want, got ops.Type, src string, static reflect.Type) string {
	x := shortSource(src, 40)
	if want == ops.TypeInteger || want == ops.TypeNumber {
		// int() of a duration gives nanoseconds, of a time an error.
		switch static {
		case durationType:
			return fmt.Sprintf("give a number: a duration gives one in the unit the parameter counts, like \"${{ %s.Seconds() }}\"", x)
		case timeType:
			return fmt.Sprintf("give a number: a time gives one as seconds since 1970, like \"${{ %s.Unix() }}\"", x)
		}
	}
	switch want {
	case ops.TypeString:
		if got == ops.TypeList || got == ops.TypeMap {
			return fmt.Sprintf("turn it into text, like \"${{ toJSON(%s) }}\"", x)
		}
		return fmt.Sprintf("convert it, like \"${{ string(%s) }}\", or write it inside text, like \"value: ${{ %s }}\"", x, x)
	case ops.TypeInteger:
		if got == ops.TypeString {
			call, _ := suggest.NumberFrom(x, true, nil)
			return fmt.Sprintf("convert it, like \"${{ %s }}\"", call)
		}
		return "give a whole number"
	case ops.TypeNumber:
		if got == ops.TypeString {
			call, _ := suggest.NumberFrom(x, false, nil)
			return fmt.Sprintf("convert it, like \"${{ %s }}\"", call)
		}
		return "give a number"
	case ops.TypeBool:
		return "compare it, e.g. x > 0 or x != \"\""
	case ops.TypeList:
		if got == ops.TypeString {
			return fmt.Sprintf("split it, like \"${{ split(%s, \",\") }}\", or give a list", x)
		}
		return fmt.Sprintf("give a list, like \"${{ [%s] }}\"", x)
	case ops.TypeMap:
		return fmt.Sprintf("give a map, like \"${{ {\"key\": %s} }}\"", x)
	case ops.TypeDuration:
		if got == ops.TypeInteger || got == ops.TypeNumber {
			return fmt.Sprintf("add a unit, like \"${{ %s }}s\"", x)
		}
		return "give a duration string, like \"30s\""
	}
	return "give a value of that type"
}

// shortSource is an expression's source for a message: whole when short,
// else its start and "...".
func shortSource(src string, n int) string {
	if len(src) <= n {
		return src
	}
	return src[:n-3] + "..."
}

// mayGiveNil reports whether an expression may give nil although the type
// checker gives it a concrete type: find and findLast give nil when no
// item matches, and ?. when what it reads is nil.
func mayGiveNil(root ast.Node) bool {
	w := &nilWalk{}
	ast.Walk(&root, w)
	return w.found
}

type nilWalk struct{ found bool }

func (w *nilWalk) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		w.found = w.found || n.Name == "find" || n.Name == "findLast"
	case *ast.ChainNode:
		w.found = true
	case *ast.MemberNode:
		w.found = w.found || n.Optional
	}
}
