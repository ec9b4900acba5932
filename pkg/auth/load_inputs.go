package auth

import (
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// holdsNever reports the parts of a grant's rule for input that no value
// can meet together: a caller could never set the input, and the author
// would learn it only when a run under the grant is refused. pos is where
// the rule is written.
func (l *policyLoader) holdsNever(input string, c *steps.Constraint, pos yamlx.Pos) bool {
	before := len(l.d.List)
	if c.Pattern != "" && !steps.PatternMatchesAny(c.Pattern, true) {
		l.d.Add(pos, "inputs.%s: pattern %s matches no value, so a caller could never set this input%s; write a pattern the values meant match", input, steps.QuotePattern(c.Pattern), steps.AnchorHint(c.Pattern))
	}
	if c.Pattern != "" && (c.Min != nil || c.Max != nil) {
		l.d.Add(pos, "inputs.%s: pattern and min or max cannot both hold: a pattern takes a string and min and max a number, and every part of the rule must hold; keep pattern for a string input, or min and max for a number", input)
	}
	if len(c.Enum) > 0 && len(l.d.List) == before {
		rest := *c
		rest.Enum = nil
		var bad, why []string
		for _, v := range c.Enum {
			if err := rest.Check(v); err != nil {
				bad = append(bad, show(v))
				why = append(why, err.Error())
			}
		}
		if len(bad) > 0 {
			l.d.Add(pos, "inputs.%s: enum lists %s, but %s; every part of the rule must hold, so a caller could never set %s: remove %s from enum, or change the rule's other parts",
				input, strings.Join(bad, ", "), strings.Join(why, "; "), plural(len(bad), "that value", "those values"), plural(len(bad), "it", "them"))
		}
	}
	return len(l.d.List) > before
}
