package steps

// The expansion of a matrix into its items: the cross product of the
// axes less what exclude removes and with what include adds, planned so
// that the work and the number of items are bounded before any is built.

import (
	"encoding/json"
	"fmt"
	"maps"
)

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
