package steps

import (
	"slices"
	"strings"
	"testing"
)

// TestPatternMismatchSuggestsAChoice: a value a typo away from one of the
// choices a pattern lists (a plain alternation) is answered with that
// choice; a pattern that lists no choices suggests nothing made up. Only
// the value's trimmed or lower-case form was tried.
func TestPatternMismatchSuggestsAChoice(t *testing.T) {
	pb, err := Parse("p.yaml", []byte(`version: 1
name: p
inputs:
  service: {type: string, pattern: "api|worker|web"}
  region: {type: string, pattern: "(eu|us)-(west|east)-[12]"}
  tier: {type: string, pattern: "gold|silver|bronze", enum: [gold, silver]}
  free: {type: string, pattern: "[a-z]+[0-9]"}
steps:
  - {id: a, op: control.noop}
`), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ input, text, want string }{
		{"service", "wroker", `"wroker" does not match pattern "api|worker|web" (the whole value must match); did you mean "worker"?`},
		{"service", " Worker ", `did you mean "worker"?`},
		{"region", "eu-wets-1", `did you mean "eu-west-1"?`},
		{"tier", "bronz", `bronz is not an allowed value; give one of: gold, silver`}, // bronze is not in the enum
		{"tier", "silvr", `is not an allowed value (did you mean "silver"?); give one of: gold, silver`},
		{"free", "abc", `"abc" does not match pattern "[a-z]+[0-9]" (the whole value must match)`},
	} {
		_, err := pb.Input(c.input).Parse(c.text)
		if err == nil || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("%s=%q: %v\nwant it to end %s", c.input, c.text, err, c.want)
		}
	}
}

// TestEnumHintOffersNoValueThePatternRefuses: an enum value that the
// rule's pattern refuses is never the "did you mean" (a load refuses
// such a rule; the check does not lean on that).
func TestEnumHintOffersNoValueThePatternRefuses(t *testing.T) {
	c := &Constraint{Enum: []any{"prod", "Prod2", "stage"}}
	if err := c.SetPattern("[a-z]+"); err != nil {
		t.Fatal(err)
	}
	err := c.Check("Prod3")
	if err == nil || !strings.Contains(err.Error(), `(did you mean "prod"?)`) {
		t.Errorf("Prod3: %v\nwant prod suggested, not Prod2, which the pattern refuses", err)
	}
}

func TestPatternValues(t *testing.T) {
	for _, c := range []struct {
		pattern string
		want    []string
	}{
		{"api|worker|web", []string{"api", "web", "worker"}},
		{"^(?:eu|us)-[12]$", []string{"eu-1", "eu-2", "us-1", "us-2"}},
		{"v1(-beta)?", []string{"v1", "v1-beta"}},
		{"[a-z]+", nil},
		{"a.c", nil},
		{"[0-9]{3}", nil},
	} {
		got, ok := patternValues(c.pattern)
		if ok != (c.want != nil) || !slices.Equal(got, c.want) {
			t.Errorf("patternValues(%q) = %q, %v; want %q", c.pattern, got, ok, c.want)
		}
	}
}
