package steps

import "testing"

// TestConditionSyntaxSaysWhatToDo: a condition cut or closed wrongly is
// reported with what to write, not in the parser's terms: a ${{ that no }}
// closes read as `unexpected token Bracket("{")`, a stray ) as
// `unexpected token Bracket(")")`, an open quote as `literal not
// terminated`, and => was taken for a misspelt ==.
func TestConditionSyntaxSaysWhatToDo(t *testing.T) {
	reg := testRegistry(t)
	for _, c := range []struct{ when, want string }{
		{`"${{ inputs.x == 1"`, `8:12: ${{ is not closed by }}; when is an expression already: write it without ${{ }}`},
		{`inputs.x == 1 )`, `8:25: ) closes nothing: remove it, or add the ( it closes where the group starts`},
		{`inputs.x in [1, 2]]`, `8:29: ] closes nothing: remove it, or add the [ it closes where the group starts`},
		{`(inputs.x == 1]`, `8:25: ] does not close the ( opened before it: close that with ) first`},
		{`inputs.x == 1 }}`, `8:25: }} closes no ${{ here: this is an expression already; remove the }}`},
		{`inputs.x == "a`, `8:25: a quoted text is not closed: end it with the quote it starts with (" or ')`},
		{`inputs.x => 1`, `8:20: => is not an operator in expressions: for greater than or equal, write >=`},
		{`inputs.x =< 1`, `8:20: =< is not an operator in expressions: for less than or equal, write <=`},
		{`inputs.x = 1`, `8:20: = is not an operator in expressions; to compare, write ==`},
		{`"(inputs.x == 1) == (\")\" == \")\")"`, ``},
	} {
		src := hostileHead + "inputs:\n  x: {type: integer, default: 1}\nsteps:\n  - id: a\n    op: control.noop\n    when: " + c.when + "\n"
		got := diagMsgs(t, src, reg)
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("when: %s: got %q, want no problem", c.when, got)
		case c.want != "" && (len(got) != 1 || got[0] != c.want):
			t.Errorf("when: %s:\n got %q\nwant %q", c.when, got, c.want)
		}
	}
}
