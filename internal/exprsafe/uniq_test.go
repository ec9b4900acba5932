package exprsafe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/expr-lang/expr"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// uniqPool mixes the values runtime.Equal compares in different ways:
// integers of every width, which compare as int (uint64 max equals -1),
// with floats as float64 (2^53 and 2^53+1 both equal the float 2^53); NaN,
// equal to nothing; -0, equal to 0; times by instant; typed nils, equal to
// nil; and lists, where [1] equals [1.0].
func uniqPool() []any {
	zone := time.FixedZone("X", 3600)
	return []any{
		nil, 0, 1, 2, -1, int8(1), int16(-1), int32(2), int64(1), uint(1), uint8(2), uint16(1), uint32(0), uint64(1),
		1 << 53, 1<<53 + 1, 1<<53 - 1, math.MaxInt64, math.MinInt64, int64(math.MaxInt64), int64(1<<53 + 1),
		uint64(math.MaxUint64), uint64(1 << 63), uint64(1<<53 + 1),
		0.0, math.Copysign(0, -1), 1.0, 1.5, 2.0, -1.0, float32(1.5), float32(1), float32(1 << 24),
		float64(1 << 53), float64(1<<53 + 2), math.Ldexp(1, 63), -math.Ldexp(1, 63), math.Ldexp(1, 64),
		math.NaN(), math.Inf(1), math.Inf(-1),
		"", "1", "a", "A", "nil", true, false,
		time.Second, time.Duration(1), time.Duration(0),
		time.Unix(0, 0).UTC(), time.Unix(0, 0).In(zone), time.Unix(1, 0).UTC(), time.Unix(0, 1).UTC(),
		map[string]any{"a": 1}, map[string]any{"a": 1.0}, map[string]any{"a": 1}, map[string]any{},
		map[string]any(nil), map[string]int{"a": 1},
		[]any{1}, []any{1.0}, []any{}, []any(nil), []any{"a"}, []any{nil},
		[]int{1}, []int(nil), []float64{1}, []string{"a"}, []string(nil),
		struct{ A int }{1},
	}
}

// plainUniq evaluates src with plain expr, whose uniq is its own.
func plainUniq(t testing.TB, src string, env map[string]any) (any, error) {
	t.Helper()
	prog, err := expr.Compile(src, expr.Env(env))
	if err != nil {
		t.Fatalf("compile %s: %v", src, err)
	}
	return expr.Run(prog, env)
}

// uniqOpts compares results item by item: types must match (int is not
// int64), a NaN matches a NaN, and a time must keep its zone.
var uniqOpts = cmp.Options{
	cmpopts.EquateNaNs(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Location() == b.Location() }),
}

// wantSameUniq runs uniq on l, as a list of known type and through a map,
// where its type is known only at run time, and wants what expr gives.
func wantSameUniq(t *testing.T, l any) {
	t.Helper()
	env := map[string]any{"l": l, "u": map[string]any{"l": l}}
	for _, src := range []string{"uniq(l)", "uniq(u.l)", "u.l | uniq()"} {
		if src == "uniq(l)" && !isList(l) {
			continue // the checker refuses it
		}
		want, wantErr := plainUniq(t, src, env)
		got, err := run(t, src, env)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%s on %#v: got error %v, expr gives %v", src, l, err, wantErr)
		}
		if diff := cmp.Diff(want, got, uniqOpts); diff != "" {
			t.Errorf("%s on %#v (-expr +bounded):\n%s", src, l, diff)
		}
	}
}

func isList(v any) bool {
	k := reflect.TypeOf(v).Kind()
	return k == reflect.Slice || k == reflect.Array
}

// TestUniqMatchesExpr: the bounded uniq keeps exactly what expr's keeps,
// in the same order, on random lists of values that compare across types.
func TestUniqMatchesExpr(t *testing.T) {
	pool := uniqPool()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		l := make([]any, rng.IntN(30))
		for i := range l {
			l[i] = pool[rng.IntN(len(pool))]
		}
		wantSameUniq(t, l)
	}
}

// TestUniqMatchesExprOnEdgeCases: orders where expr's equality is not
// transitive, typed lists, and what uniq refuses.
func TestUniqMatchesExprOnEdgeCases(t *testing.T) {
	for _, l := range []any{
		[]any{float64(1 << 53), 1 << 53, 1<<53 + 1},
		[]any{1<<53 + 1, 1 << 53, float64(1 << 53)},
		[]any{uint64(math.MaxUint64), -1, math.Ldexp(1, 64)},
		[]any{math.Ldexp(1, 64), -1, uint64(math.MaxUint64)},
		[]any{uint64(1 << 63), math.MinInt64, math.Ldexp(1, 63), math.MaxInt64},
		[]any{nil, []any(nil), []any{}},
		[]any{[]any{}, []any(nil), nil},
		[]any{[]any(nil), nil, map[string]any(nil)},
		[]any{math.NaN(), math.NaN(), 0.0, math.Copysign(0, -1), 0},
		[]int{3, 1, 3, 2, 1},
		[]float64{1, math.NaN(), 1, math.NaN()},
		[]string{"b", "a", "b"},
		[3]int{1, 1, 2},
		[]any{},
		[]int(nil),
		map[string]any{"a": 1},
		"abc",
		7,
	} {
		wantSameUniq(t, l)
	}
	src := "uniq([1, 1.0, '1', true, nil, nil, [1], [1.0], {a: 1}, {a: 1.0}]) | uniq()"
	want, _ := plainUniq(t, src, nil)
	if got, err := run(t, src, nil); err != nil || !cmp.Equal(want, got) {
		t.Errorf("%s = %#v, %v; want %#v", src, got, err, want)
	}
}

// TestUniqOfLargeListsIsLinear: lists of 200,000 numbers, which expr's own
// uniq takes minutes over, come out whole and in order.
func TestUniqOfLargeListsIsLinear(t *testing.T) {
	nums := make([]any, 200_000) // as a 1 MiB JSON input decodes
	for i := range nums {
		nums[i] = float64(i % 150_000)
	}
	env := map[string]any{"nums": nums}
	for src, want := range map[string]any{
		"len(uniq(1..200000))":                            200_000,
		"uniq(1..200000)[199999]":                         200_000,
		"len(uniq(map(1..200000, string(#))))":            200_000,
		"len(uniq(nums))":                                 150_000,
		"uniq(nums)[149999]":                              149_999.0,
		"len(uniq(map(1..200000, # % 7 == 0 ? # : 1.0)))": 28_572,
	} {
		if got, err := run(t, src, env); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

// TestUniqOfManyMapsFails: maps and lists are compared pairwise, as expr
// does, so more of them than the limit in one evaluation are refused
// before any comparison; as many scalars or nils are not.
func TestUniqOfManyMapsFails(t *testing.T) {
	maps := make([]any, uniqPairwise+1)
	for i := range maps {
		maps[i] = map[string]any{"i": i % 100}
	}
	env := map[string]any{"maps": maps, "nils": make([]any, 100_000)}
	const msg = "uniq would compare 4001 maps, lists and other items that are not numbers, strings or bools one with another in this expression, over the limit of 4000; dedupe such lists in a step"
	wantRefused(t, "uniq(maps)", env, msg)
	wantRefused(t, "map(1..1000, uniq(maps[:1000]))", env, "uniq would compare 5000 maps")
	wantRefused(t, "uniq(map(1..10000, [#]))", env, "uniq would compare 10000 maps")
	for src, want := range map[string]any{
		"len(uniq(maps[1:]))":                               100,
		"sum(map(1..4, len(uniq(maps[:1000]))))":            400,
		"len(uniq(nils))":                                   1,
		"len(uniq(map(1..100000, # % 2 == 0 ? nil : 'x')))": 2,
	} {
		if got, err := run(t, src, env); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

// BenchmarkUniq is uniq of a range of distinct numbers, bounded and
// expr's own: linear and quadratic (go test -bench Uniq -run '^$').
func BenchmarkUniq(b *testing.B) {
	for _, n := range []int{1000, 10_000} {
		src := fmt.Sprintf("len(uniq(1..%d))", n)
		b.Run(fmt.Sprintf("bounded/%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := run(b, src, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("expr/%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := plainUniq(b, src, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
