package steps

import (
	"encoding/json"
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
				l.d.Add(yamlx.PosOf(p.K), "exclude names %q, which is not an axis of the matrix (%v), so it would never match", p.Key, names)
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
// item, of more than MaxForeachItems, or over MaxMatrixWork, is an error.
func ExpandMatrix(names []string, values [][]any, include, exclude []any) ([]any, error) {
	p, err := planMatrix(names, values, include, exclude)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, p.total)
	won := map[string]int{}
	p.walk(p.axes(), func(idx []int, fits []*matrixBucket) {
		out = append(out, p.item(idx, fits, won))
	})
	for _, i := range p.unfit() {
		out = append(out, maps.Clone(include[i].(map[string]any)))
	}
	if err := checkMatrixSize(len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

func checkMatrixSize(n int) error {
	switch {
	case n == 0:
		return fmt.Errorf("the matrix gives no combination: exclude removes every one")
	case n > MaxForeachItems:
		return fmt.Errorf("the matrix has more than %d combinations; use fewer axis values, or split the work across steps", MaxForeachItems)
	}
	return nil
}

// matrixPlan is a matrix ready to expand. Each axis value has a class:
// values that are the same data (SameData) share one. An include or
// exclude entry becomes the classes it gives the axes it names, so finding
// the entries that match a combination is one map lookup per distinct set
// of named axes, not a comparison with every entry.
type matrixPlan struct {
	names   []string
	values  [][]any
	class   [][]int          // class[a][j] is the class of values[a][j]
	lookup  []map[string]int // lookup[a] gives a class by dataKey
	radix   []int            // classes per axis
	total   int              // combinations before exclude
	exclude []*matrixGroup
	include []*matrixGroup
	inc     []*matrixBucket // each include entry's bucket; nil if it fits no combination
}

// matrixGroup is the entries that name the same axes, by the code of the
// classes they give them.
type matrixGroup struct {
	axes    []int
	buckets map[int]*matrixBucket
}

// matrixBucket is the include entries that fit the same combinations, and
// what they merge into each: per key, the value of the last entry giving it.
type matrixBucket struct {
	set map[string]matrixValue
	hit bool // some combination left by exclude fits
}

type matrixValue struct {
	v  any
	at int // the index of the include entry that gave it
}

// planMatrix checks a matrix's parts and bounds and indexes its entries.
func planMatrix(names []string, values [][]any, include, exclude []any) (*matrixPlan, error) {
	for _, list := range [][]any{include, exclude} {
		for _, e := range list {
			if _, ok := e.(map[string]any); !ok {
				return nil, fmt.Errorf("matrix include and exclude entries must be mappings, not %s", typeName(e))
			}
		}
	}
	p := &matrixPlan{names: names, values: values, total: 1}
	for i, vs := range values {
		if len(vs) == 0 {
			return nil, fmt.Errorf("matrix axis %s has no values", names[i])
		}
		if p.total > MaxForeachItems/len(vs) {
			return nil, fmt.Errorf("the matrix has more than %d combinations; use fewer axis values, or split the work across steps", MaxForeachItems)
		}
		p.total *= len(vs)
		p.classify(vs)
	}
	if len(names) == 0 {
		p.total = 0
	}
	p.exclude = p.groups(exclude, nil)
	p.inc = make([]*matrixBucket, len(include))
	p.include = p.groups(include, p.inc)
	return p, p.checkWork()
}

// classify gives the values of the next axis their classes.
func (p *matrixPlan) classify(vs []any) {
	class := make([]int, len(vs))
	lookup := map[string]int{}
	for j, v := range vs {
		key, ok := dataKey(v)
		if !ok {
			// Never the same data as anything (SameData): a class of its own.
			key = fmt.Sprintf("\x00%d", j)
		}
		c, seen := lookup[key]
		if !seen {
			c = len(lookup)
			lookup[key] = c
		}
		class[j] = c
	}
	p.class, p.lookup = append(p.class, class), append(p.lookup, lookup)
	p.radix = append(p.radix, len(lookup))
}

// dataKey is v's JSON text, which SameData compares.
func dataKey(v any) (string, bool) {
	b, err := json.Marshal(v)
	return string(b), err == nil
}

// groups indexes entries by the axes they name. For include (buckets not
// nil) it records each entry's bucket; an entry whose value is on no axis
// fits no combination and keeps a nil bucket. An exclude entry that names
// a key that is not an axis, or none, matches nothing and is left out.
func (p *matrixPlan) groups(entries []any, buckets []*matrixBucket) []*matrixGroup {
	byAxes := map[string]*matrixGroup{}
	var out []*matrixGroup
	for i, e := range entries {
		m := e.(map[string]any)
		axes, code, ok := p.code(m)
		if !ok || buckets == nil && (len(axes) == 0 || len(axes) < len(m)) {
			continue
		}
		key := fmt.Sprint(axes)
		g := byAxes[key]
		if g == nil {
			g = &matrixGroup{axes: axes, buckets: map[int]*matrixBucket{}}
			byAxes[key] = g
			out = append(out, g)
		}
		b := g.buckets[code]
		if b == nil {
			b = &matrixBucket{set: map[string]matrixValue{}}
			g.buckets[code] = b
		}
		if buckets != nil {
			buckets[i] = b
			for k, v := range m {
				b.set[k] = matrixValue{v, i}
			}
		}
	}
	return out
}

// code gives the axes an entry names and the code of their classes, or
// false when a value is on no axis.
func (p *matrixPlan) code(m map[string]any) (axes []int, code int, ok bool) {
	for a, n := range p.names {
		v, has := m[n]
		if !has {
			continue
		}
		key, ok := dataKey(v)
		c, found := p.lookup[a][key]
		if !ok || !found {
			return nil, 0, false
		}
		axes = append(axes, a)
		code = code*p.radix[a] + c
	}
	return axes, code, true
}

// checkWork refuses a matrix whose expansion would take more than
// MaxMatrixWork steps: many combinations, with include and exclude entries
// that name many different sets of axes or merge many keys.
func (p *matrixPlan) checkWork() error {
	per, keys := 1, 0
	for _, g := range p.exclude {
		per += len(g.axes) + 1
	}
	for _, g := range p.include {
		most := 0
		for _, b := range g.buckets {
			most = max(most, len(b.set))
		}
		per += len(g.axes) + 1 + most
		keys += most
	}
	if p.total == 0 || per <= MaxMatrixWork/p.total {
		return nil
	}
	return fmt.Errorf("expanding the matrix would take about %d steps, over the limit of %d: %d combinations, each looked up in %d groups of include and exclude entries (one per set of axes they name) and given up to %d keys by include; use fewer axis values, include and exclude entries that name the same axes, or fewer include keys", p.total*per, MaxMatrixWork, p.total, len(p.include)+len(p.exclude), keys)
}

func (p *matrixPlan) axes() []int {
	all := make([]int, len(p.names))
	for a := range all {
		all[a] = a
	}
	return all
}

// count checks how many items ExpandMatrix would give, without building
// them. Only the axes some entry names are walked; the others multiply.
func (p *matrixPlan) count() error {
	named := make([]bool, len(p.names))
	for _, gs := range [][]*matrixGroup{p.exclude, p.include} {
		for _, g := range gs {
			for _, a := range g.axes {
				named[a] = true
			}
		}
	}
	var over []int
	weight := 1
	for a, ok := range named {
		if ok {
			over = append(over, a)
		} else {
			weight *= len(p.values[a])
		}
	}
	n := 0
	p.walk(over, func([]int, []*matrixBucket) { n += weight })
	return checkMatrixSize(n + len(p.unfit()))
}

// walk visits each combination exclude leaves, varying the axes in over
// (the last fastest) and holding the others at their first value, with
// the include buckets it fits.
func (p *matrixPlan) walk(over []int, visit func(idx []int, fits []*matrixBucket)) {
	if p.total == 0 {
		return
	}
	idx := make([]int, len(p.names))
	var fits []*matrixBucket
	for {
		if !p.excluded(idx) {
			fits = p.fits(idx, fits[:0])
			visit(idx, fits)
		}
		i := len(over) - 1
		for ; i >= 0; i-- {
			a := over[i]
			if idx[a]++; idx[a] < len(p.values[a]) {
				break
			}
			idx[a] = 0
		}
		if i < 0 {
			return
		}
	}
}

func (p *matrixPlan) excluded(idx []int) bool {
	for _, g := range p.exclude {
		if g.buckets[p.codeAt(g, idx)] != nil {
			return true
		}
	}
	return false
}

// fits appends to out the include buckets that fit the combination, and
// marks them hit.
func (p *matrixPlan) fits(idx []int, out []*matrixBucket) []*matrixBucket {
	for _, g := range p.include {
		if b := g.buckets[p.codeAt(g, idx)]; b != nil {
			b.hit = true
			out = append(out, b)
		}
	}
	return out
}

// codeAt is the code of the combination's classes on g's axes.
func (p *matrixPlan) codeAt(g *matrixGroup, idx []int) int {
	code := 0
	for _, a := range g.axes {
		code = code*p.radix[a] + p.class[a][idx[a]]
	}
	return code
}

// item builds one combination: its axis values, then what the include
// entries that fit it merge, a later entry winning a key (won is scratch).
func (p *matrixPlan) item(idx []int, fits []*matrixBucket, won map[string]int) map[string]any {
	c := make(map[string]any, len(p.names))
	for a, n := range p.names {
		c[n] = p.values[a][idx[a]]
	}
	clear(won)
	for _, b := range fits {
		for k, x := range b.set {
			if at, ok := won[k]; !ok || x.at > at {
				won[k], c[k] = x.at, x.v
			}
		}
	}
	return c
}

// unfit is the include entries that fit no combination exclude leaves, in
// order: each is a combination of its own.
func (p *matrixPlan) unfit() []int {
	var out []int
	for i, b := range p.inc {
		if b == nil || !b.hit {
			out = append(out, i)
		}
	}
	return out
}
