package steps

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// naiveMatrix is the expansion as GitHub Actions describes it, one entry
// against one combination at a time: what ExpandMatrix must give.
func naiveMatrix(names []string, values [][]any, include, exclude []any) []any {
	var combos []map[string]any
	idx := make([]int, len(names))
	for len(names) > 0 {
		c := map[string]any{}
		for i, n := range names {
			c[n] = values[i][idx[i]]
		}
		if !naiveExcluded(c, exclude) {
			combos = append(combos, c)
		}
		i := len(idx) - 1
		for ; i >= 0; i-- {
			if idx[i]++; idx[i] < len(values[i]) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			break
		}
	}
	original := len(combos)
	for _, e := range include {
		inc := e.(map[string]any)
		merged := false
		for _, c := range combos[:original] {
			if naiveFits(c, inc, names) {
				maps.Copy(c, inc)
				merged = true
			}
		}
		if !merged {
			combos = append(combos, maps.Clone(inc))
		}
	}
	out := make([]any, len(combos))
	for i, c := range combos {
		out[i] = c
	}
	return out
}

func naiveExcluded(c map[string]any, exclude []any) bool {
	for _, e := range exclude {
		ex := e.(map[string]any)
		all := len(ex) > 0
		for k, v := range ex {
			if cv, ok := c[k]; !ok || !SameData(cv, v) {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func naiveFits(c, inc map[string]any, names []string) bool {
	for _, n := range names {
		if v, ok := inc[n]; ok && !SameData(v, c[n]) {
			return false
		}
	}
	return true
}

// randomEntries makes n include or exclude entries over the axes a, b, c
// and the extra keys x, y, with values that may be on an axis or not, and
// may be the same data written differently (1 and 1.0).
func randomEntries(r *rand.Rand, n int) []any {
	pool := []any{0, 1, 1.0, 2, "1", "z"}
	out := make([]any, n)
	for i := range out {
		e := map[string]any{}
		for _, k := range []string{"a", "b", "c", "x", "y"} {
			if r.IntN(3) == 0 {
				e[k] = pool[r.IntN(len(pool))]
			}
		}
		out[i] = e
	}
	return out
}

// TestExpandMatrixMatchesOneByOneMerge checks the indexed expansion against
// the one-entry-at-a-time one on random matrices: the same items, in the
// same order, with the same values (1.0 from an include replaces a 1).
func TestExpandMatrixMatchesOneByOneMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	axes := [][]any{{0, 1, 2}, {1, "1", 1.0}, {"z", 2}}
	for i := range 3000 {
		k := r.IntN(4)
		names, values := []string{"a", "b", "c"}[:k], axes[:k]
		include, exclude := randomEntries(r, r.IntN(6)), randomEntries(r, r.IntN(4))
		got, err := ExpandMatrix(names, values, include, exclude)
		want := naiveMatrix(names, values, include, exclude)
		if len(want) == 0 {
			if err == nil {
				t.Fatalf("case %d: no combination, yet no error: %v", i, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: axes %v include %v exclude %v\ngot  %v (%v)\nwant %v", i, names, include, exclude, got, err, want)
		}
		if p, _ := planMatrix(names, values, include, exclude); p.count() != nil {
			t.Fatalf("case %d: count fails where expansion gives %d items", i, len(got))
		}
	}
}

// matrixFile is a playbook whose step a has a matrix of x (nx values) by
// y (ny values) and inc include entries that each fit every combination.
func matrixFile(nx, ny, inc int, extra string) []byte {
	list := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%d,", i)
		}
		return b.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%ssteps:\n  - id: a\n    op: control.noop\n    foreach:\n      matrix:\n        x: [%s]\n        y: [%s]\n%s", hostileHead, list(nx), list(ny), extra)
	if inc > 0 {
		b.WriteString("        include:\n")
		for i := range inc {
			fmt.Fprintf(&b, "          - {k: %d}\n", i)
		}
	}
	return []byte(b.String())
}

// TestMatrixIncludesCostOncePerCombination: include entries that name the
// same axes cost one lookup per combination together, at validation and
// when the run expands the matrix. One by one, 10,000 combinations by
// 4,000 includes took seconds to validate.
func TestMatrixIncludesCostOncePerCombination(t *testing.T) {
	src := matrixFile(100, 100, 4000, "")
	if _, err := Parse("p.yaml", src, fixtureRegistry(t)); err != nil {
		t.Fatal(err)
	}
	values := [][]any{make([]any, 100), make([]any, 100)}
	for i := range 100 {
		values[0][i], values[1][i] = i, i
	}
	include := make([]any, 4000)
	for i := range include {
		include[i] = map[string]any{"k": i, "x": i % 100}
	}
	// x: 0 is excluded, so the 40 includes with x: 0 are items of their own.
	exclude := []any{map[string]any{"x": 0}}
	// The 4,000 includes name one axis, x: one group, so a combination
	// costs one lookup, not 4,000 comparisons.
	p, err := planMatrix([]string{"x", "y"}, values, include, exclude)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.include) != 1 || len(p.include[0].buckets) != 100 {
		t.Errorf("4,000 includes naming x were indexed as %d groups; want one of 100 buckets", len(p.include))
	}
	items, err := ExpandMatrix([]string{"x", "y"}, values, include, exclude)
	if err != nil {
		t.Fatal(err)
	}
	if got := items[0].(map[string]any); len(items) != 9900+40 || got["x"] != 1 || got["k"] != 3901 {
		t.Errorf("%d items, first %v", len(items), got)
	}
}

// TestMatrixOverWorkLimitIsValidationError: a matrix that would take more
// than MaxMatrixWork steps to expand is refused at its position, saying
// what to reduce, before any of it is expanded.
func TestMatrixOverWorkLimitIsValidationError(t *testing.T) {
	// 1,000,000 combinations, each given 25 keys by one include.
	keys := "        include:\n          - {"
	for i := range 25 {
		keys += fmt.Sprintf("k%d: %d, ", i, i)
	}
	src := matrixFile(1000, 1000, 0, keys+"}\n")
	var err error
	// Refused before any of it is expanded: reading the file allocates
	// some thousands of times, a million combinations millions.
	allocs := testing.AllocsPerRun(1, func() { _, err = Parse("p.yaml", src, fixtureRegistry(t)) })
	if err == nil || !strings.Contains(err.Error(), "p.yaml:7:7: expanding the matrix would take about") || !strings.Contains(err.Error(), "over the limit of") || !strings.Contains(err.Error(), "fewer include keys") {
		t.Errorf("got %v", err)
	}
	if allocs > 200_000 {
		t.Errorf("refusing the matrix took %.0f allocations; was it expanded?", allocs)
	}
}
