package exprsafe

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// listEnv holds values of a size a step output may have, from which each
// expression below makes a list or map per turn of a map.
func listEnv() map[string]any {
	m := map[string]any{}
	var pairs, list, few []any
	for i := range 5000 {
		k := fmt.Sprintf("key%d", i)
		m[k] = i
		pairs = append(pairs, []any{k, i})
		list = append(list, k)
	}
	// Few, so that the total, not the items of one list, stops uniq.
	for i := range 10 {
		few = append(few, i)
	}
	return map[string]any{
		"s":     strings.Repeat("x", 10_000),
		"m":     m,
		"pairs": pairs,
		"l":     list,
		"few":   few,
		"doc":   "[" + strings.Repeat("0,", 5000) + "0]",
		"b64":   base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 750_000))),
	}
}

// TestListBuildersInMapStopAtEvaluationTotal: a map over a range that makes
// a list or map each turn is refused once they pass the evaluation's total,
// having allocated little, where each turn used to keep its list.
func TestListBuildersInMapStopAtEvaluationTotal(t *testing.T) {
	env := listEnv()
	for _, c := range []struct{ src, name string }{
		{"len(map(1..1000, split(s, '')))", "split"},
		{"len(map(1..1000, split(s, '', 100000)))", "split"},
		{"len(map(1..1000, splitAfter(s, '')))", "splitAfter"},
		{"len(map(1..1000, keys(m)))", "keys"},
		{"len(map(1..1000, m | keys()))", "keys"},
		{"len(map(1..1000, values(m)))", "values"},
		{"len(map(1..1000, toPairs(m)))", "toPairs"},
		{"len(map(1..1000, fromPairs(pairs)))", "fromPairs"},
		{"len(map(1..1000, groupBy(l, #)))", "groupBy"},
		{"len(map(1..100000, uniq(few)))", "uniq"},
		{"len(map(1..1000, fromJSON(doc)))", "fromJSON"},
		{"let ks = keys(m); len(map(1..1000, split(s, '')))", "split"},
	} {
		wantRefused(t, c.src, env, c.name+" would take the strings and lists this expression builds past 16777216 bytes in all; build large lists and maps in a step")
	}
	wantRefused(t, "len(map(1..100, fromBase64(b64)))", env, "fromBase64 would take the strings and lists this expression builds past 16777216 bytes in all")
}

// TestListsAndStringsShareTheTotal: strings built and lists made draw on
// one total, so neither can be spent twice.
func TestListsAndStringsShareTheTotal(t *testing.T) {
	env := map[string]any{"s": strings.Repeat("x", 500_000)}
	// 30 copies of s (15 MB) leave less than the 16 bytes a part of the
	// split takes for each of its 500,001 parts (8 MB).
	wantRefused(t, "let c = map(1..30, upper(s)); len(split(s, ''))", env, "split would take")
}

// TestListBuildersKeepTheirMeaning checks that charging changes no result,
// and that lists of a normal size still work in a loop.
func TestListBuildersKeepTheirMeaning(t *testing.T) {
	env := map[string]any{
		"m":   map[string]any{"a": 1, "b": 2},
		"u":   map[string]any{"m": map[string]any{"x": 1}, "s": "p,q"},
		"big": strings.Repeat("line\n", 20_000),
	}
	for _, c := range []struct {
		src  string
		want any
	}{
		{"split('a,b,c', ',')", []string{"a", "b", "c"}},
		{"split('a,b,c', ',', 2)", []string{"a", "b,c"}},
		{"split('a,b,c', ',', 0)", []string(nil)},
		{"split('ab', '')", []string{"a", "b"}},
		{"split('', '')", []string{}},
		{"splitAfter('a,b', ',')", []string{"a,", "b"}},
		{"splitAfter('a,b,c', ',', 2)", []string{"a,", "b,c"}},
		{"split(u.s, ',')", []string{"p", "q"}},
		{"'a.b' | split('.')", []string{"a", "b"}},
		{"len(split(big, '\\n'))", 20_001},
		{"len(split(big, ''))", 100_000},
		{"sort(keys(m))", []any{"a", "b"}},
		{"keys(u.m)", []any{"x"}},
		{"sort(values(m))", []any{1, 2}},
		{"toPairs({'a': 1})", [][2]any{{"a", 1}}},
		{"fromPairs([['a', 1]])", map[any]any{"a": 1}},
		{"len(groupBy([1, 2, 3], # % 2)[1])", 2},
		{"groupBy([{'k': 'a'}, {'k': 'b'}, {'k': 'a'}], .k).a[1].k", "a"},
		{"uniq([1, 1, 2])", []any{1, 2}},
		{"fromJSON('{\"a\": [1, \"x\"]}').a[1]", "x"},
		{"fromBase64('YWI=')", "ab"},
		{"sum(map(1..10000, len(split('a,b', ','))))", 20_000},
		{"sum(map(1..1000, len(keys(m)) + len(values(m)) + len(toPairs(m))))", 6000},
		{"len(map(1..1000, fromJSON('[1, 2, 3]')))", 1000},
	} {
		got, err := run(t, c.src, env)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s = %#v, want %#v", c.src, got, c.want)
		}
	}
}

// TestLargeSingleListsFit: one list of the size a step output may have
// fits in the total, as docs/playbooks.md says.
func TestLargeSingleListsFit(t *testing.T) {
	m := map[string]any{}
	for i := range 50_000 {
		m[fmt.Sprintf("key%d", i)] = i
	}
	var doc strings.Builder
	doc.WriteString("[")
	for i := 0; doc.Len() < 1<<20-100; i++ {
		fmt.Fprintf(&doc, `{"name": "item-%05d", "size": %d, "tags": ["a", "b"]},`, i, i*7)
	}
	doc.WriteString(`{}]`)
	env := map[string]any{"csv": strings.Repeat("ab,", 1<<20/3), "m": m, "doc": doc.String()}
	for src, want := range map[string]any{
		"len(split(csv, ','))":            1<<20/3 + 1,
		"len(keys(m)) + len(values(m))":   100_000,
		"len(fromJSON(doc)) > 15000":      true,
		"count(split(csv, ','), # == '')": 1,
	} {
		if got, err := run(t, src, env); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

// TestListBuildersRefuseWhatTheBuiltinsRefuse: errors stay errors.
func TestListBuildersRefuseWhatTheBuiltinsRefuse(t *testing.T) {
	env := map[string]any{"u": map[string]any{"n": 3, "l": []any{1}}}
	for _, src := range []string{"split(u.n, ',')", "split('a', u.n)", "fromJSON('{')", "fromJSON(u.n)", "fromBase64('!!')", "keys(u.l)", "fromPairs(u.n)"} {
		if out, err := run(t, src, env); err == nil {
			t.Errorf("%s = %#v, want an error", src, out)
		}
	}
}

func TestSplitPartsBoundsSplit(t *testing.T) {
	for _, c := range []struct {
		s, sep string
		n      int
	}{
		{"", "", -1}, {"", ",", -1}, {"a,b,,c", ",", -1}, {"a,b,,c", ",", 2}, {"a,b", ",", 0},
		{"héllo", "", -1}, {"héllo", "", 3}, {"aaaa", "aa", -1}, {"abc", "x", 5},
		{"héllo", "", 10}, {"\xff\xfeé", "", -1},
	} {
		got, want := splitParts(c.s, c.sep, c.n), len(strings.SplitN(c.s, c.sep, c.n))
		if got != want {
			t.Errorf("splitParts(%q, %q, %d) = %d, split makes %d", c.s, c.sep, c.n, got, want)
		}
	}
}
