package suggest

import "testing"

func TestDidYouMean(t *testing.T) {
	cands := []string{"when", "with", "op", "needs", "foreach", "retry", "continue_on_error"}
	for _, tc := range []struct{ word, want string }{
		{"wehn", ` (did you mean "when"?)`},
		{"need", ` (did you mean "needs"?)`},
		{"forech", ` (did you mean "foreach"?)`},
		{"continue_on_eror", ` (did you mean "continue_on_error"?)`},
		{"params", ` (did you mean "with"?)`},
		{"depends_on", ` (did you mean "needs"?)`},
		{"ignore_errors", ` (did you mean "continue_on_error"?)`},
		{"with_items", ` (did you mean "foreach"?)`},
		{"retries", ` (did you mean "retry"?)`},
		{"loop", ` (did you mean "foreach"?)`}, // not "op", nearer by letters
		{"uses", ` (did you mean "op"?)`},
		{"cleanup", ""}, // finally is not a candidate here
		{"zzzzzz", ""},
		{"x", ""},
		{"OP", ` (did you mean "op"?)`}, // short, but only the case differs
		{"When", ` (did you mean "when"?)`},
	} {
		if got := DidYouMean(tc.word, cands); got != tc.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

// TestClosestShortWordsInAnotherCase: a one-letter step id typed in the
// other case is suggested, though one letter is too short for any typo.
func TestClosestShortWordsInAnotherCase(t *testing.T) {
	if got, ok := Closest("A", []string{"a", "b"}); !ok || got != "a" {
		t.Errorf(`Closest("A") = %q, %v; want "a"`, got, ok)
	}
	if got, ok := Closest("c", []string{"a", "b"}); ok {
		t.Errorf(`Closest("c") = %q; want none`, got)
	}
}
