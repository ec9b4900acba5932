package auth

import (
	"regexp/syntax"
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
	if c.Pattern != "" && !patternMatchesAny(c.Pattern, true) {
		hint := ""
		if patternMatchesAny(c.Pattern, false) {
			hint = " (^ and $ match only at the start and end of the whole value, so a pattern with text before a ^ or after a $ matches nothing; the pattern is anchored at both ends already)"
		}
		l.d.Add(pos, "inputs.%s: pattern %s matches no value, so a caller could never set this input%s; write a pattern the values meant match", input, steps.QuotePattern(c.Pattern), hint)
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

// patternMatchesAny reports whether some string matches the whole of
// pattern, an RE2 expression that compiles. It walks the compiled program
// from its start to a match, keeping whether a character was read and
// whether the end of the text was asserted: ^ may hold only before any
// character, and no character may follow $. Other assertions (\b, (?m)^)
// are taken to hold, so only a pattern that surely matches nothing is
// reported. With anchors false, ^ and $ are taken to hold anywhere too.
func patternMatchesAny(pattern string, anchors bool) bool {
	re, err := syntax.Parse(`^(?:`+pattern+`)$`, syntax.Perl)
	if err != nil {
		return true // reported when it was compiled
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return true
	}
	type state struct {
		pc          uint32
		read, ended bool
	}
	seen := map[state]bool{}
	stack := []state{{pc: uint32(prog.Start)}}
	push := func(s state) {
		if !seen[s] {
			seen[s] = true
			stack = append(stack, s)
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		in := prog.Inst[s.pc]
		switch in.Op {
		case syntax.InstMatch:
			return true
		case syntax.InstAlt, syntax.InstAltMatch:
			push(state{in.Out, s.read, s.ended})
			push(state{in.Arg, s.read, s.ended})
		case syntax.InstCapture, syntax.InstNop:
			push(state{in.Out, s.read, s.ended})
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(in.Arg)
			if anchors && op&syntax.EmptyBeginText != 0 && s.read {
				continue
			}
			push(state{in.Out, s.read, s.ended || anchors && op&syntax.EmptyEndText != 0})
		case syntax.InstRune:
			if !s.ended && len(in.Rune) > 0 {
				push(state{in.Out, true, false})
			}
		case syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			if !s.ended {
				push(state{in.Out, true, false})
			}
		}
	}
	return false
}
