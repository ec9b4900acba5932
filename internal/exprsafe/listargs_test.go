package exprsafe

import (
	"strings"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
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

// TestNullListIsRefusedAlike: sort, like reverse and every other built-in
// over lists but first and last, refuses null, when the expression runs
// and when the null is written in it.
func TestNullListIsRefusedAlike(t *testing.T) {
	env := map[string]any{"u": map[string]any{}}
	for _, f := range []string{"sort", "reverse", "uniq", "flatten"} {
		want := f + "() was given null, not a list: ADVICE"
		if got := problemOf(t, f+"(u.missing)", env); got != want+" (1:1)" && got != want {
			t.Errorf("%s(u.missing): %q, want %q", f, got, want)
		}
		src := f + "(nil)"
		cfg := conf.CreateNew()
		expr.Env(env)(cfg)
		Harden(cfg, 1000, testLimit, 5_000_000)
		tree, err := parser.ParseWithConfig(src, cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Check(tree, cfg)
		if err == nil {
			t.Fatalf("%s compiles", src)
		}
		msg, _, _ := strings.Cut(err.Error(), "\n")
		if got := CheckProblem(msg, src); got != f+"() was given null, not a list" {
			t.Errorf("%s at load: %q", src, got)
		}
	}
}
