package exprsafe

import (
	"strings"
	"testing"
)

// TestListBuiltinsRefuseWhatIsNotAList: a built-in over lists given a
// string or a number known only at run time fails, naming itself and what
// it was given, instead of going through the string's bytes.
func TestListBuiltinsRefuseWhatIsNotAList(t *testing.T) {
	env := map[string]any{"u": map[string]any{"s": "ab", "n": 5, "l": []any{2, 1}}}
	for src, want := range map[string]string{
		`sum(u.s)`:              "sum() was given a string, not a list; split it",
		`map(u.s, #)`:           "map() was given a string",
		`filter(u.s, # != "a")`: "filter() was given a string",
		`count(u.s)`:            "count() was given a string",
		`first(u.s)`:            "first() was given a string",
		`last(u.n)`:             "last() was given an integer, not a list",
		`concat(u.l, u.s)`:      "concat() was given a string",
		`uniq(u.s)`:             "uniq() was given a string",
		`sortBy(u.s, #)`:        "sortBy() was given a string",
	} {
		out, err := run(t, src, env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s = %#v, %v; want an error with %q", src, out, err, want)
		}
	}
	for src, want := range map[string]any{
		`sum(u.l)`:             3,
		`first(u.l)`:           2,
		`len(concat(u.l, []))`: 2,
		`first(u.missing)`:     nil,
		`len(u.s)`:             2,
	} {
		if out, err := run(t, src, env); err != nil || out != want {
			t.Errorf("%s = %#v, %v; want %#v", src, out, err, want)
		}
	}
}
