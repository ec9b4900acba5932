package suggest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

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
		{"cleanup", ""},                           // finally is not a candidate here
		{"depnds_on", ` (did you mean "needs"?)`}, // a typo of a synonym
		{"ignore_erors", ` (did you mean "continue_on_error"?)`},
		{"claenup", ""}, // nor through a typo of its synonym
		{"ifx", ""},     // too short to be taken for a typo of "if"
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

// TestDidYouMeanParams: the parameter names other tools use, like
// Ansible's cmd and chdir, name the operation's own.
func TestDidYouMeanParams(t *testing.T) {
	shell := []string{"command", "script", "env", "dir", "stdin", "ok_codes"}
	httpReq := []string{"method", "url", "headers", "body", "json", "expect_status"}
	for _, tc := range []struct {
		word  string
		cands []string
		want  string
	}{
		{"cmd", shell, "command"},
		{"chdir", shell, "dir"},
		{"cwd", shell, "dir"},
		{"run", shell, "script"},
		{"uri", httpReq, "url"},
		{"status_code", httpReq, "expect_status"},
		{"data", httpReq, "body"},
	} {
		if got, want := DidYouMean(tc.word, tc.cands), Hint(tc.want); got != want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tc.word, got, want)
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

// TestClosestMatchesFullDistance checks the bounded measure against the
// whole Damerau-Levenshtein table on words that differ in every way:
// the same suggestion, or none, for each.
func TestClosestMatchesFullDistance(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		const letters = "abcdé-."
		b := make([]rune, r.IntN(12))
		for i := range b {
			b[i] = []rune(letters)[r.IntN(len([]rune(letters)))]
		}
		return string(b)
	}
	// near changes a few letters of w: cut, added, replaced or swapped.
	near := func(w string) string {
		b := []rune(w)
		for range r.IntN(5) {
			i := r.IntN(len(b) + 1)
			switch r.IntN(4) {
			case 0:
				if i < len(b) {
					b = append(b[:i], b[i+1:]...)
				}
			case 1:
				b = append(b[:i], append([]rune{'x'}, b[i:]...)...)
			case 2:
				if i < len(b) {
					b[i] = 'y'
				}
			default:
				if i+1 < len(b) {
					b[i], b[i+1] = b[i+1], b[i]
				}
			}
		}
		return string(b)
	}
	for range 5000 {
		w := word()
		cands := make([]string, r.IntN(8))
		for i := range cands {
			cands[i] = word()
			if r.IntN(2) == 0 {
				cands[i] = near(w)
			}
		}
		got, ok := Closest(w, cands)
		want, wantOK := closestByTable(w, cands)
		if got != want || ok != wantOK {
			t.Fatalf("Closest(%q, %q) = %q %v, want %q %v", w, cands, got, ok, want, wantOK)
		}
	}
}

// closestByTable is Closest with the whole table for every candidate.
func closestByTable(word string, candidates []string) (string, bool) {
	for _, c := range candidates {
		if c != word && strings.EqualFold(c, word) {
			return c, true
		}
	}
	best, bestD := "", -1
	for _, c := range candidates {
		d := 1 << 30
		if len(word) <= 64 && len(c) <= 64 {
			ra, rb := []rune(word), []rune(c)
			t := make([][]int, len(ra)+1)
			for i := range t {
				t[i] = make([]int, len(rb)+1)
				t[i][0] = i
			}
			for j := range t[0] {
				t[0][j] = j
			}
			for i := 1; i <= len(ra); i++ {
				for j := 1; j <= len(rb); j++ {
					cost := 1
					if ra[i-1] == rb[j-1] {
						cost = 0
					}
					t[i][j] = min(t[i-1][j]+1, t[i][j-1]+1, t[i-1][j-1]+cost)
					if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
						t[i][j] = min(t[i][j], t[i-2][j-2]+1)
					}
				}
			}
			d = t[len(ra)][len(rb)]
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(word) > 8 {
		limit = 3
	}
	if bestD < 0 || bestD > limit || bestD >= len(word) {
		return "", false
	}
	return best, true
}

// TestClosestOverManyCandidates checks that a suggestion among thousands
// of names (an inventory's hosts, asked for each unknown group member)
// builds no table per candidate: the work stays with the word, which is
// what lets an inventory with a few thousand stale members be checked in
// moments rather than minutes.
func TestClosestOverManyCandidates(t *testing.T) {
	cands := make([]string, 5000)
	for i := range cands {
		cands[i] = fmt.Sprintf("host-%d.example.com", i)
	}
	var got string
	allocs := testing.AllocsPerRun(3, func() { got, _ = Closest("old-2999.example.com", cands) })
	if got != "host-2999.example.com" {
		t.Errorf("Closest = %q, want host-2999.example.com", got)
	}
	if allocs > 10 {
		t.Errorf("Closest over %d candidates made %.0f allocations; want a few for the word, none per candidate", len(cands), allocs)
	}
}
