package suggest

import "testing"

func TestDidYouMean(t *testing.T) {
	cands := []string{"when", "needs", "foreach", "retry", "continue_on_error"}
	for _, tc := range []struct{ word, want string }{
		{"wehn", ` (did you mean "when"?)`},
		{"need", ` (did you mean "needs"?)`},
		{"forech", ` (did you mean "foreach"?)`},
		{"continue_on_eror", ` (did you mean "continue_on_error"?)`},
		{"zzzzzz", ""},
		{"x", ""},
	} {
		if got := DidYouMean(tc.word, cands); got != tc.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
