// Package suggest finds the likely intended word for a misspelled one.
package suggest

import "strings"

// DidYouMean returns ` (did you mean "x"?)` for the candidate closest to word,
// or "" when none is close enough to be a likely typo. A word that other
// tools use for one of the candidates (params for with, depends_on for
// needs, ignore_errors for continue_on_error) names that candidate too.
func DidYouMean(word string, candidates []string) string {
	if x, ok := synonyms[word]; ok {
		for _, c := range candidates {
			if c == x {
				return Hint(x)
			}
		}
	}
	if best, ok := Closest(word, candidates); ok {
		return Hint(best)
	}
	return ""
}

// synonyms are the keys that Ansible, GitHub Actions, GitLab CI, Argo
// Workflows and Dagu use where a playbook has another word.
var synonyms = map[string]string{
	"params": "with", "parameters": "with", "args": "with", "arguments": "with",
	"if": "when", "condition": "when",
	"depends_on": "needs", "depends": "needs", "dependencies": "needs", "depends-on": "needs",
	"loop": "foreach", "with_items": "foreach", "for_each": "foreach", "items": "foreach", "withItems": "foreach",
	"ignore_errors": "continue_on_error", "continue-on-error": "continue_on_error", "allow_failure": "continue_on_error", "continueOn": "continue_on_error",
	"retries": "retry", "retryStrategy": "retry",
	"timeout-minutes": "timeout", "timeout_seconds": "timeout", "activeDeadlineSeconds": "timeout",
	"uses": "op", "action": "op", "module": "op",
	"always": "finally", "cleanup": "finally", "post": "finally", "ensure": "finally",
	"on_error": "on_failure", "onExit": "finally",
}

// Closest returns the candidate closest to word, and false when none is
// close enough to be a likely typo. One that differs from word only in
// case is, however short: --from A for the step a.
func Closest(word string, candidates []string) (string, bool) {
	for _, c := range candidates {
		if c != word && strings.EqualFold(c, word) {
			return c, true
		}
	}
	best, bestD := "", -1
	for _, c := range candidates {
		d := distance(word, c)
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

// Hint phrases a suggestion found otherwise: ` (did you mean "x"?)`.
func Hint(x string) string { return ` (did you mean "` + x + `"?)` }

// distance is the Damerau-Levenshtein (optimal string alignment) distance,
// so a swapped pair of letters counts as one edit.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
