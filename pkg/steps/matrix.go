package steps

import (
	"fmt"
	"maps"

	"go.yaml.in/yaml/v3"

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
		l.d.Add(yamlx.PosOf(yamlx.Deref(n)), "foreach is either an expression giving a list or {matrix: {axis: [values], ...}}")
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
			ax.Values = l.value(v, sc, s, -1, false)
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
				l.d.Add(yamlx.PosOf(p.K), "exclude names %q, which is not an axis of the matrix (%v), so it would never match", p.Key, names)
			}
		}
	}
}

// expandLiteralMatrix expands a matrix whose every part is literal, to
// report now what the run would.
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
	if _, err := ExpandMatrix(names, values, include, exclude); err != nil {
		l.d.Add(m.Pos, "%v", err)
	}
}

func isWholeExpr(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return false
	}
	texts, spans, problem, _ := scanTemplate(n.Value)
	return problem == "" && len(spans) == 1 && texts[0] == "" && texts[1] == ""
}

// ExpandMatrix returns the items of a matrix, as GitHub Actions builds
// them: the cross product of the axes in order (the first axis varies
// slowest), without the combinations an exclude entry matches (every key
// it names has that value), then each include entry merged into every
// combination whose axis values it does not contradict (values it adds
// may be replaced by a later entry), or, when it fits none, added as a
// combination of its own. Each item is a map[string]any. A matrix of no
// item, or of more than MaxForeachItems, is an error.
func ExpandMatrix(names []string, values [][]any, include, exclude []any) ([]any, error) {
	for _, list := range [][]any{include, exclude} {
		for _, e := range list {
			if _, ok := e.(map[string]any); !ok {
				return nil, fmt.Errorf("matrix include and exclude entries must be mappings, not %s", typeName(e))
			}
		}
	}
	total := 1
	for i, vs := range values {
		if len(vs) == 0 {
			return nil, fmt.Errorf("matrix axis %s has no values", names[i])
		}
		if total > MaxForeachItems/len(vs) {
			return nil, fmt.Errorf("the matrix has more than %d combinations (MaxForeachItems)", MaxForeachItems)
		}
		total *= len(vs)
	}
	var combos []map[string]any
	if len(names) > 0 {
		combos = make([]map[string]any, 0, total)
		idx := make([]int, len(names))
		for {
			c := make(map[string]any, len(names))
			for i, n := range names {
				c[n] = values[i][idx[i]]
			}
			if !matchesAny(c, exclude) {
				combos = append(combos, c)
			}
			i := len(idx) - 1
			for ; i >= 0; i-- {
				idx[i]++
				if idx[i] < len(values[i]) {
					break
				}
				idx[i] = 0
			}
			if i < 0 {
				break
			}
		}
	}
	original := len(combos)
	for _, e := range include {
		inc := e.(map[string]any)
		merged := false
		for _, c := range combos[:original] {
			if fits(c, inc, names) {
				maps.Copy(c, inc)
				merged = true
			}
		}
		if !merged {
			combos = append(combos, maps.Clone(inc))
		}
		if len(combos) > MaxForeachItems {
			return nil, fmt.Errorf("the matrix has more than %d combinations (MaxForeachItems)", MaxForeachItems)
		}
	}
	if len(combos) == 0 {
		return nil, fmt.Errorf("the matrix gives no combination: exclude removes every one")
	}
	out := make([]any, len(combos))
	for i, c := range combos {
		out[i] = c
	}
	return out, nil
}

// matchesAny reports whether some exclude entry matches c: each of its
// keys has its value in c.
func matchesAny(c map[string]any, exclude []any) bool {
	for _, e := range exclude {
		ex := e.(map[string]any)
		all := len(ex) > 0
		for k, v := range ex {
			if cv, ok := c[k]; !ok || !SameData(cv, v) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// fits reports whether an include entry can merge into c: it gives no
// axis a value other than c's.
func fits(c, inc map[string]any, names []string) bool {
	for _, n := range names {
		if v, ok := inc[n]; ok && !SameData(v, c[n]) {
			return false
		}
	}
	return true
}
