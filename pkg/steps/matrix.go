package steps

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// The keys of a matrix that are not axes.
const (
	matrixInclude = "include"
	matrixExclude = "exclude"
)

// decodeMatrix reads foreach: {matrix: {axis: [values], ..., include,
// exclude}}. Axis values may be a literal list (whose items may
// interpolate) or one ${{ }} giving a list; include and exclude are lists
// of mappings. A matrix written wholly as literals is expanded now, so
// that one with no combination, or too many, is a validation error.
func (l *loader) decodeMatrix(n *yaml.Node, s *Step) *Matrix {
	var mn, mk *yaml.Node
	ok := yamlx.Fields(n, "foreach", []string{"matrix"}, l.d, func(key string, k, v *yaml.Node) { mk, mn = k, v })
	if !ok {
		return nil
	}
	if mn == nil {
		l.d.Add(yamlx.PosOf(yamlx.Deref(n)), "foreach is an expression giving a list, a YAML list of values, or {matrix: {axis: [values], ...}}")
		return nil
	}
	pairs, ok := yamlx.Pairs(mn, "matrix", l.d)
	if !ok {
		return nil
	}
	sc := l.stepScope(s) &^ scopeItem
	m := &Matrix{Pos: yamlx.PosOf(mk)}
	var excludeNode *yaml.Node
	badAxis := false
	for _, p := range pairs {
		switch p.Key {
		case matrixInclude, matrixExclude:
			v := l.matrixList(p.V, sc, s, "matrix."+p.Key)
			if p.Key == matrixInclude {
				m.Include = v
			} else {
				m.Exclude, excludeNode = v, p.V
			}
			continue
		}
		if !identRE.MatchString(p.Key) || len(p.Key) > MaxIDLen {
			l.d.Add(yamlx.PosOf(p.K), "matrix axis %q: use letters, digits and _, starting with a letter or _, so expressions can say item.%s", yamlx.Truncate(p.Key, 80), "name")
			badAxis = true
			continue
		}
		v := yamlx.Deref(p.V)
		ax := MatrixAxis{Name: p.Key, Pos: yamlx.PosOf(p.K)}
		switch {
		case v.Kind == yaml.SequenceNode:
			if len(v.Content) == 0 {
				l.d.Add(yamlx.PosOf(v), "matrix axis %s is empty; give it at least one value, or remove it", p.Key)
				badAxis = true
				continue
			}
			ax.Values = l.axisValues(v, sc, s, p.Key)
		case isWholeExpr(v):
			ax.Values = l.value(v, sc, s, -1, false)
			pe := l.pending[len(l.pending)-1]
			pe.list, pe.what = true, "matrix axis "+p.Key
		default:
			l.d.Add(yamlx.PosOf(v), "matrix axis %s must be a list of values, like [a, b], or one ${{ }} giving a list, not %s", p.Key, yamlx.KindName(v))
			badAxis = true
			continue
		}
		m.Axes = append(m.Axes, ax)
	}
	if badAxis {
		return nil
	}
	if len(m.Axes) == 0 && m.Include == nil {
		l.d.Add(m.Pos, "matrix has no axes; give at least one, like {os: [linux, darwin]}, or an include list")
		return nil
	}
	l.checkExcludeKeys(excludeNode, m)
	l.checkExcludeValues(excludeNode, m)
	l.expandLiteralMatrix(m)
	return m
}

// matrixList reads include or exclude: a literal list of mappings, or one
// ${{ }} giving such a list.
func (l *loader) matrixList(n *yaml.Node, sc scope, s *Step, what string) *Value {
	d := yamlx.Deref(n)
	switch {
	case d.Kind == yaml.SequenceNode:
		for _, c := range d.Content {
			if c := yamlx.Deref(c); c.Kind != yaml.MappingNode && !isWholeExpr(c) {
				l.d.Add(yamlx.PosOf(c), "each entry of %s must be a mapping of axis names to values, like {os: linux, ver: 2}, not %s", what, yamlx.KindName(c))
				return nil
			}
		}
		return l.value(d, sc, s, -1, false)
	case isWholeExpr(d):
		v := l.value(d, sc, s, -1, false)
		pe := l.pending[len(l.pending)-1]
		pe.list, pe.what = true, what
		return v
	}
	l.d.Add(yamlx.PosOf(d), "%s must be a list of mappings, like [{os: linux, ver: 2}], not %s", what, yamlx.KindName(d))
	return nil
}

// checkExcludeKeys refuses an exclude entry written with a key that is not
// an axis: it could never match, which is surely a typo.
func (l *loader) checkExcludeKeys(n *yaml.Node, m *Matrix) {
	if n = yamlx.Deref(n); n == nil || n.Kind != yaml.SequenceNode || len(m.Axes) == 0 {
		return
	}
	names := make([]string, len(m.Axes))
	for i, a := range m.Axes {
		names[i] = a.Name
	}
	for _, c := range n.Content {
		pairs, _ := yamlx.Pairs(c, "", &yamlx.Diags{})
		for _, p := range pairs {
			if !yamlx.Contains(names, p.Key) {
				l.d.Add(yamlx.PosOf(p.K), "exclude names %q, which is not an axis of the matrix (%s), so it would never match", p.Key, strings.Join(names, ", "))
			}
		}
	}
}

// expandLiteralMatrix counts the items of a matrix whose every part is
// literal, to report now what the run would.
func (l *loader) expandLiteralMatrix(m *Matrix) {
	names := make([]string, len(m.Axes))
	values := make([][]any, len(m.Axes))
	for i, a := range m.Axes {
		if a.Values == nil || a.Values.Dynamic() {
			return
		}
		names[i] = a.Name
		values[i], _ = a.Values.Lit.([]any)
	}
	var include, exclude []any
	for _, v := range []*Value{m.Include, m.Exclude} {
		if v != nil && v.Dynamic() {
			return
		}
	}
	if m.Include != nil {
		include, _ = m.Include.Lit.([]any)
	}
	if m.Exclude != nil {
		exclude, _ = m.Exclude.Lit.([]any)
	}
	p, err := planMatrix(names, values, include, exclude)
	if err == nil {
		err = p.count()
	}
	if err != nil {
		l.d.Add(m.Pos, "%v", err)
	}
}

func isWholeExpr(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return false
	}
	texts, spans, problem, _ := exprsafe.Scan(n.Value)
	return problem == "" && len(spans) == 1 && texts[0] == "" && texts[1] == ""
}
