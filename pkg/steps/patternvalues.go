package steps

import (
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// maxPatternValues is the most values patternValues lists: a pattern that
// allows more is no plain list of choices.
const maxPatternValues = 64

// maxClassRunes is the most characters a character class of such a
// pattern may hold: RE2 writes the alternatives "api|apx" as "ap[ix]".
const maxClassRunes = 16

// patternValues lists the values a pattern allows when it allows only a
// few, as a plain alternation does ("api|worker|web", "(?:eu|us)-[12]"),
// and reports whether it does: a pattern with a repeat, an any-character
// or a wide class allows too many to offer as choices.
func patternValues(pattern string) ([]string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false
	}
	vals, ok := finiteValues(re.Simplify())
	if !ok || len(vals) == 0 {
		return nil, false
	}
	slices.Sort(vals)
	return slices.Compact(vals), true
}

// finiteValues lists the strings re matches, up to maxPatternValues of
// them; false when there are more, or too many to tell.
func finiteValues(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return []string{""}, true
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, true
	case syntax.OpCapture:
		return finiteValues(re.Sub[0])
	case syntax.OpQuest:
		sub, ok := finiteValues(re.Sub[0])
		return append([]string{""}, sub...), ok && len(sub) < maxPatternValues
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == maxClassRunes {
					return nil, false
				}
				out = append(out, string(r))
			}
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			vals, ok := finiteValues(s)
			if !ok || len(out)+len(vals) > maxPatternValues {
				return nil, false
			}
			out = append(out, vals...)
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range re.Sub {
			vals, ok := finiteValues(s)
			if !ok || len(out)*len(vals) > maxPatternValues {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(vals))
			for _, a := range out {
				for _, b := range vals {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}

// patternMeant is the value s, refused by in's pattern, likely meant: its
// trimmed or lower-case form ("api" for "API"); else, when the pattern
// is a plain list of choices (patternValues), the choice a typo or two
// away ("worker" for "wroker"). Whatever it names the pattern matches,
// and so does the input's enum when it has one; "" when none stands out.
func (in *Input) patternMeant(s string) string {
	ok := func(x string) bool {
		return x != s && x != "" && in.re.MatchString(x) && (len(in.Enum) == 0 || slicesContainsData(in.Enum, x))
	}
	for _, alt := range []string{strings.TrimSpace(s), strings.ToLower(strings.TrimSpace(s))} {
		if ok(alt) {
			return alt
		}
	}
	vals, finite := patternValues(in.Pattern)
	if !finite {
		return ""
	}
	vals = slices.DeleteFunc(vals, func(x string) bool { return !ok(x) })
	if x, found := suggest.Closest(strings.TrimSpace(s), vals); found {
		return x
	}
	return ""
}

// allowedEnum is the constraint's enum less the values its pattern
// refuses, which no hint should offer.
func (c *Constraint) allowedEnum() []any {
	if c.re == nil {
		return c.Enum
	}
	return slices.DeleteFunc(slices.Clone(c.Enum), func(e any) bool {
		s, ok := e.(string)
		return ok && !c.re.MatchString(s)
	})
}
