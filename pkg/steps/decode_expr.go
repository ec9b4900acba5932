package steps

// Reading the expressions and interpolated values of a step.

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// bareExpr reads a condition or list expression written without ${{ }}.
func (l *loader) bareExpr(n *yaml.Node, what string, sc scope, s *Step, asBool bool) *Expr {
	n = yamlx.Deref(n)
	if n.Kind != yaml.ScalarNode || yamlx.IsNull(n) {
		l.d.Add(yamlx.PosOf(n), "%s must be an expression, not %s", what, yamlx.KindName(n))
		return nil
	}
	src, off := n.Value, 0
	if n.ShortTag() == "!!bool" && asBool {
		src = n.Value
	} else if n.ShortTag() != "!!str" {
		l.d.Add(yamlx.PosOf(n), "%s must be an expression, not %s", what, yamlx.KindName(n))
		return nil
	}
	texts, spans, problem, at := exprsafe.Scan(n.Value)
	if problem != "" {
		// `when: "${{ x == 1"`: without this, expr reads the ${ and
		// reports a bracket it did not expect.
		l.d.Add(l.posAt(n, at), "${{ is not closed by }}; %s is an expression already: write it without ${{ }}", what)
		return nil
	}
	if len(spans) == 1 && texts[0] == "" && texts[1] == "" && spans[0].Start == 0 && spans[0].End == len(n.Value) {
		// `when: ${{ x }}` is accepted as `when: x`.
		src, off = spans[0].Src, spans[0].SrcOff
	} else if len(spans) > 0 {
		l.d.Add(l.posAt(n, spans[0].Start), "%s is an expression already; write it without ${{ }}", what)
		return nil
	} else if t := strings.TrimSpace(n.Value); strings.HasPrefix(t, "{{") {
		// Ansible's and Jinja's when: "{{ x }}"; no expression starts so.
		bare := strings.NewReplacer("{{ ", "", "{{", "", " }}", "", "}}", "").Replace(t)
		l.d.Add(l.posAt(n, strings.Index(n.Value, "{{")), "%s is an expression already, not a template; write it without {{ }}: %s", what, bare)
		return nil
	}
	e := l.expr(n, src, off, sc, s, asBool, -1)
	l.pending[len(l.pending)-1].list = what == "foreach"
	if asBool {
		l.pending[len(l.pending)-1].cond = what
	}
	return e
}

func (l *loader) expr(n *yaml.Node, src string, off int, sc scope, s *Step, asBool bool, varAt int) *Expr {
	e := &Expr{Source: src, Pos: l.posAt(n, off), scope: sc, step: s, bool: asBool, src: l.source, node: n, off: off}
	l.pending = append(l.pending, &pendingExpr{e: e, node: n, off: off, scope: sc, step: s, varAt: varAt})
	return e
}

// value builds an interpolated value from any node. Unless quiet, text
// that looks like an expression in the wrong brackets gets a warning.
func (l *loader) value(n *yaml.Node, sc scope, s *Step, varAt int, quiet bool) *Value {
	n = yamlx.Deref(n)
	v := &Value{Pos: yamlx.PosOf(n)}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!str" || !strings.Contains(n.Value, "${{") {
			if !quiet && n.ShortTag() == "!!str" {
				l.warnLiteralExprs(n, nil)
			}
			yamlx.WarnOctal(n, l.d)
			v.Lit = yamlx.Scalar(n)
			return v
		}
		texts, spans, problem, at := exprsafe.Scan(n.Value)
		if problem != "" {
			l.d.Add(l.posAt(n, at), "%s%s", problem, commentHint(n))
			v.Lit = n.Value
			return v
		}
		if !quiet {
			l.warnLiteralExprs(n, spans)
		}
		if len(spans) == 0 {
			v.Lit = texts[0]
			return v
		}
		if len(spans) == 1 && texts[0] == "" && texts[1] == "" {
			v.Kind = KindExpr
			v.Expr = l.expr(n, spans[0].Src, spans[0].SrcOff, sc, s, false, varAt)
			return v
		}
		v.Kind = KindTemplate
		for i, sp := range spans {
			v.Parts = append(v.Parts, Part{Text: texts[i], Expr: l.expr(n, sp.Src, sp.SrcOff, sc, s, false, varAt)})
		}
		v.Parts = append(v.Parts, Part{Text: texts[len(texts)-1]})
		return v
	case yaml.SequenceNode:
		v.Kind = KindList
		for _, c := range n.Content {
			v.Items = append(v.Items, l.value(c, sc, s, varAt, quiet))
		}
	case yaml.MappingNode:
		v.Kind = KindMap
		pairs, _ := yamlx.Pairs(n, "this mapping", l.d)
		for _, p := range pairs {
			if strings.Contains(p.Key, "${{") {
				l.d.Add(yamlx.PosOf(p.K), "keys are not interpolated; only values may hold ${{ }}")
			}
			v.Keys = append(v.Keys, p.Key)
			v.Items = append(v.Items, l.value(p.V, sc, s, varAt, quiet))
		}
	}
	for _, it := range v.Items {
		if it.Dynamic() {
			return v
		}
	}
	lit := v
	v = &Value{Pos: lit.Pos, Lit: plainOf(lit)}
	return v
}

// plainOf turns a fully literal list or map Value into plain data.
func plainOf(v *Value) any {
	switch v.Kind {
	case KindList:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = it.Lit
		}
		return out
	case KindMap:
		out := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			out[k] = v.Items[i].Lit
		}
		return out
	}
	return v.Lit
}

// commentHint explains an expression or a value that ends too early
// because YAML took the rest of its line for a comment: in a plain
// scalar, " #" begins one, so `when: any(xs, # > 1)` is `any(xs,`.
func commentHint(n *yaml.Node) string {
	if n.Style != 0 || n.LineComment == "" {
		return ""
	}
	return fmt.Sprintf("; YAML took the rest of the line, %q, for a comment (a # after a space begins one): quote the value", n.LineComment)
}
