package exprsafe

import (
	"strings"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
)

func TestURLEscape(t *testing.T) {
	env := map[string]any{"s": "../admin?x=1&y=2#top", "sp": "a b/c%", "n": 42, "f": 1.5, "any": any("x/y")}
	for src, want := range map[string]string{
		`urlPathEscape(s)`:                  `..%2Fadmin%3Fx=1&y=2%23top`,
		`urlQueryEscape(s)`:                 `..%2Fadmin%3Fx%3D1%26y%3D2%23top`,
		`urlPathEscape(sp)`:                 `a%20b%2Fc%25`,
		`urlQueryEscape(sp)`:                `a+b%2Fc%25`,
		`urlPathEscape(n)`:                  `42`,
		`urlQueryEscape(f)`:                 `1.5`,
		`s | urlPathEscape()`:               `..%2Fadmin%3Fx=1&y=2%23top`,
		`urlPathEscape("é")`:                `%C3%A9`,
		`"/u/" + urlPathEscape(any)`:        `/u/x%2Fy`,
		`urlQueryEscape("")`:                ``,
		`urlPathEscape("...")`:              `...`,
		`map(["a/b"], urlPathEscape(#))[0]`: `a%2Fb`,
	} {
		got, err := run(t, src, env)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got != want {
			t.Errorf("%s = %q, want %q", src, got, want)
		}
	}
}

// A segment that is empty, . or .. would name another resource however
// it is escaped, so urlPathEscape refuses it when the expression runs.
func TestURLPathEscapeRefusesDotSegments(t *testing.T) {
	for v, want := range map[string]string{
		"":   "empty string",
		".":  `"."`,
		"..": `".."`,
	} {
		_, err := run(t, `urlPathEscape(v)`, map[string]any{"v": v})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("urlPathEscape(%q): %v, want an error naming %s", v, err, want)
		}
	}
}

// The argument's type, when known, is checked before the run.
func TestURLEscapeTypes(t *testing.T) {
	env := map[string]any{"l": []any{"a"}, "m": map[string]any{"a": 1}}
	for src, want := range map[string]string{
		`urlPathEscape(l)`:        `urlPathEscape() was given a list, not a string, a number or a bool; escape each item`,
		`urlQueryEscape(m)`:       `urlQueryEscape() was given a map, not a string, a number or a bool`,
		`urlPathEscape("a", "b")`: `urlPathEscape() takes one value`,
	} {
		cfg := conf.CreateNew()
		expr.Env(env)(cfg)
		Harden(cfg, 1000, testLimit, 5_000_000)
		tree, err := parser.ParseWithConfig(src, cfg)
		if err == nil {
			_, err = Check(tree, cfg)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
	// A value known only at run time is checked then.
	_, err := run(t, `urlPathEscape(x.v)`, map[string]any{"x": map[string]any{"v": nil}})
	if err == nil || !strings.Contains(err.Error(), "urlPathEscape() was given null, not a string, a number or a bool") {
		t.Errorf("urlPathEscape(null): %v", err)
	}
}

// The escaped text counts against the string limit, as upper's does.
func TestURLEscapeBounded(t *testing.T) {
	big := strings.Repeat("/", testLimit/2)
	_, err := run(t, `urlQueryEscape(s)`, map[string]any{"s": big})
	if err == nil || !strings.Contains(err.Error(), "bytes per string; build large text in a step") {
		t.Errorf("urlQueryEscape of %d slashes: %v, want the string limit", len(big), err)
	}
}

// TestURLEscapeBool: a bool, such as a flag read from a step's JSON
// output that validate says to escape, is written as interpolation
// writes it, true or false, not refused when the step runs.
func TestURLEscapeBool(t *testing.T) {
	env := map[string]any{"b": true, "any": any(false)}
	for src, want := range map[string]string{
		`urlQueryEscape(b)`:   `true`,
		`urlQueryEscape(any)`: `false`,
		`urlPathEscape(true)`: `true`,
	} {
		got, err := run(t, src, env)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
}
