package steps

import "regexp/syntax"

// PatternMatchesAny reports whether some string matches the whole of
// pattern, an RE2 expression that compiles. It walks the compiled program
// from its start to a match, keeping whether a character was read and
// whether the end of the text was asserted: ^ may hold only before any
// character, and no character may follow $. Other assertions (\b, (?m)^)
// are taken to hold, so only a pattern that surely matches nothing is
// reported. With anchors false, ^ and $ are taken to hold anywhere too.
func PatternMatchesAny(pattern string, anchors bool) bool {
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

// AnchorHint explains why pattern, which matches no value, matches none
// when that is because of a ^ or $ written inside it; "" otherwise.
func AnchorHint(pattern string) string {
	if !PatternMatchesAny(pattern, false) {
		return ""
	}
	return " (^ and $ match only at the start and end of the whole value, so a pattern with text before a ^ or after a $ matches nothing; the pattern is anchored at both ends already)"
}
