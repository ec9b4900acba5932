package exprsafe

import (
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"
)

// problemOf evaluates src as run does and returns what Problem says of
// its error ("" when it succeeds).
func problemOf(t *testing.T, src string, env map[string]any) string {
	t.Helper()
	prog := compile(t, src, env)
	m := vm.VM{MemoryBudget: 1_000_000}
	if _, err := m.Run(prog, env); err != nil {
		return Problem(prog, err, func(string) string { return "ADVICE" })
	}
	return ""
}

// TestProblemSpeaksTheDocsWords: a built-in or operator given a value of
// the wrong type at run time is named, with the value's kind as the docs
// say it (null, number, list, map), never Go's interface conversion,
// reflect message or type names.
func TestProblemSpeaksTheDocsWords(t *testing.T) {
	env := map[string]any{"u": map[string]any{"t": "5\n", "x": "a\nb", "n": 1.5, "s": "x", "l": []any{1.0, 2.0}, "m": map[string]any{"a": 1}}}
	for src, want := range map[string]string{
		`trim(u.missing)`:             `trim() was given null, not a string; give a default with ??, as in x ?? ""`,
		`hasPrefix(u.missing, "a")`:   `hasPrefix() was given null, not a string`,
		`date(u.missing)`:             `date() was given null, not a string`,
		`duration(u.n)`:               `duration() was given a number, not a string`,
		`u.n matches "a"`:             `matches was given a number, not a string`,
		`int(u.t)`:                    `int() was given "5\n", a number with white space around it, as a command's stdout ends with a newline; write int(trim(x))`,
		`float(u.t)`:                  `float() was given "5\n", a number with white space around it`,
		`int(u.x)`:                    `int() was given "a\nb", which is not a number`,
		`u.l > 1`:                     `> was given a list and an integer; > takes no list or map`,
		`u.s matches u.n`:             `the pattern is a number, not a string; write it in quotes, like x matches "^[0-9]+$", or convert it with string(x)`,
		`u.s matches u.l`:             `the pattern is a list, not a string`,
		`len(u.missing)`:              `len() was given null: ADVICE`,
		`upper(u.n)`:                  `upper() was given a number, not a string`,
		`fromJSON(u.m)`:               `fromJSON() was given a map, not a string`,
		`keys(u.missing)`:             `keys() was given null, not a map`,
		`keys(u.l)`:                   `keys() was given a list, not a map`,
		`reverse(u.missing)`:          `reverse() was given null, not a list: ADVICE`,
		`abs(u.s)`:                    `abs() was given a string, not a number`,
		`int(u.missing)`:              `int() was given null, not a number; give a default with ??, as in x ?? 0`,
		`take(u.l, -1)`:               `take() was given an index or count out of range`,
		`count(u.l)`:                  `count() needed true or false from its condition (or its items), but got a number`,
		`u.s ? 1 : 2`:                 `the condition before ? must give true or false, but this one gives a string; compare it, like x == "yes" or x > 0`,
		`u.n > 1 ? (u.s ? 1 : 2) : 3`: `the condition before ? must give true or false, but this one gives a string`,
		`u.m?.b ?? "?" ? 1 : 2`:       `the condition before ? must give true or false, but this one gives a string`,
		`!u.s`:                        `a value needed true or false from its condition (or its items), but got a string`,
		`join(u.l)`:                   `join takes a list of strings; item 0 is a number`,
		`u.missing + 1`:               `+ was given null and an integer; give a default with ??, as in x ?? 0`,
		`u.n < "90%"`:                 `a number and a string cannot be compared with < (number < string); write the number without quotes, as 90 and not "90%", or convert text first with float(trim(x)) (trim drops the newline that ends a command's stdout)`,
		`u.s >= 3`:                    `a number and a string cannot be compared with >= (string >= integer)`,
		`u.missing.a`:                 `u.missing is null, so it has no field a: ADVICE; read it as u.missing?.a, which is null when u.missing is null`,
		`u.missing[2].a`:              `u.missing is null, so it has no item 2: ADVICE; read it as u.missing?.[2], which is null when u.missing is null`,
		`u.missing["my-key"]`:         `u.missing is null, so it has no field my-key: ADVICE; read it as u.missing?.["my-key"], which is null`,
	} {
		got := problemOf(t, src, env)
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to hold %q", src, got, want)
		}
		for _, goWord := range []string{"interface", "reflect", "<nil>", "float64", "invalid argument", " invalid"} {
			if strings.Contains(got, goWord) {
				t.Errorf("%s: %q speaks Go (%q)", src, got, goWord)
			}
		}
	}
}

// TestDurationSaysItsForms: duration() of a text known only at run time
// that is no duration says which forms are, as validate does of a literal.
func TestDurationSaysItsForms(t *testing.T) {
	env := map[string]any{"u": map[string]any{"abc": "abc", "bare": "90", "days": "2d", "unit": "5x"}}
	forms := ` is not a duration; write one like "90s", "5m" or "1h30m" (units h, m, s, ms, us, ns)`
	for src, want := range map[string]string{
		`duration(u.abc)`:  `duration("abc")` + forms,
		`duration(u.bare)`: `duration("90")` + forms,
		`duration(u.unit)`: `duration("5x")` + forms,
		`duration(u.days)`: `duration("2d"): days and weeks are no unit of a duration; write hours, as "48h" for 2 days`,
	} {
		if got := problemOf(t, src, env); got != want+" (1:1)" {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
}

// TestOperatorProblemSaysWhatToDo: an operator given values of kinds it
// cannot take, known only at run time, names the operator and the kinds
// in the docs' words and says what to do, as validate does of the same
// mistake; % by zero says to test the divisor (Go's "integer divide by
// zero" said nothing of %); in given a text on its right points to
// contains; int() of a text that is no number says so, and timezone() of
// a name that is no zone names the form to write.
func TestOperatorProblemSaysWhatToDo(t *testing.T) {
	env := map[string]any{"u": map[string]any{"i": 1, "z": 0, "s": "x", "t": "abc", "l": []any{1, "a"}, "b": true}}
	trim := " (trim drops the newline that ends a command's stdout) "
	for src, want := range map[string]string{
		`u.s + u.i`:        "+ was given a string and an integer; to join them as text, convert the number with string(x); to add them, convert the text with float(trim(x))" + trim + "(1:5)",
		`u.s % u.i`:        "% was given a string and an integer; % takes whole numbers: convert the text with int(trim(x))" + trim + "(1:5)",
		`u.b * u.i`:        "* was given a bool and an integer; no function turns true or false into a number: choose one with ?:, like (x ? 1 : 0) (1:5)",
		`u.i > u.s`:        `a number and a string cannot be compared with > (integer > string); write the number without quotes, as 90 and not "90%", or convert text first with float(trim(x)) (trim drops the newline that ends a command's stdout) (1:5)`,
		`u.l[0] * u.l[1]`:  "* was given an integer and a string; convert the text with float(trim(x))" + trim + "(1:8)",
		`-u.s`:             "- was given a string, not a number (1:1)",
		`u.i in u.s`:       "in needs a list or a map on its right, not a string; to find a text inside a text, write s contains x (1:5)",
		`u.s in u.i`:       "in needs a list or a map on its right, not an integer (1:5)",
		`timezone(u.s)`:    `timezone(): unknown time zone "x"; use an IANA name like Europe/Berlin or UTC (1:1)`,
		`int(u.t)`:         `int() was given "abc", which is not a number; convert only a number, as in x matches "^-?[0-9]+$" ? int(x) : 0 (1:1)`,
		`10 % u.z`:         "% by zero: the right side of % is 0, and a remainder by zero has no value; test the divisor first, as in n != 0 ? x % n : 0 (1:4)",
		`u.missing >= u.i`: ">= was given null and an integer; give a default with ??, as in x ?? 0, or test the value first (1:11)",
	} {
		if got := problemOf(t, src, env); got != want {
			t.Errorf("%s:\n got %q\nwant %q", src, got, want)
		}
	}
}

// TestReadProblemNamesTheValue: a field read from a value that is not a
// map, or an item read with a key of the wrong kind, names the value as
// the expression writes it and says how to read it, never expr's "cannot
// fetch b from int" or "invalid operation: int(string)".
func TestReadProblemNamesTheValue(t *testing.T) {
	env := map[string]any{"u": map[string]any{"i": 1, "s": "x", "l": []any{1, "a"}, "m": map[string]any{"a": 1}}}
	list := " is a list or a text, not a map, so it has no field "
	for src, want := range map[string]string{
		`u.i.b`:       "u.i is an integer, not a map, so it has no field b; type(u.i) names what a value is (1:5)",
		`u.m.a?.b`:    "u.m.a is an integer, not a map, so it has no field b; type(u.m.a) names what a value is (1:8)",
		`u.l.name`:    "u.l" + list + "name; read one item's, u.l[0].name, or every item's, map(u.l, .name) (1:5)",
		`u.l[1].x`:    "u.l[1]" + list + "x; read one item's, u.l[1][0].x, or every item's, map(u.l[1], .x) (1:8)",
		`u.l[u.s]`:    "u.l is a list or a text, whose items are read by position, a whole number (u.l[0]), not a string (1:4)",
		`u.m[u.l[0]]`: "u.m is a map, whose fields are read by a string, not an integer; convert the key, u.m[string(x)] (1:4)",
	} {
		if got := problemOf(t, src, env); got != want {
			t.Errorf("%s:\n got %q\nwant %q", src, got, want)
		}
	}
}

// TestProblemNullItemOfPredicate: a field read in a predicate from an
// item of the list that is null (a fan-out's item that did not run) names
// the item and the #?. that reads it all the same, not only "cannot fetch
// outputs from null".
func TestProblemNullItemOfPredicate(t *testing.T) {
	env := map[string]any{"xs": []any{map[string]any{"a": 1}, nil}}
	for _, src := range []string{`map(xs, .a)`, `map(xs, #.a)`, `filter(xs, .a > 0)`, `all(xs, 0 < .a)`} {
		got := problemOf(t, src, env)
		want := "an item of the list is null, so it has no field a: ADVICE; read it as #?.a, which is null when the item is null"
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to hold %q", src, got, want)
		}
	}
	if got := problemOf(t, `(xs[1]).a`, env); strings.Contains(got, "an item of the list") {
		t.Errorf("(xs[1]).a: %q speaks of a predicate's item, though there is none", got)
	}
}
