// Package suggest finds the likely intended word for a misspelled one.
package suggest

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// DidYouMean returns ` (did you mean "x"?)` for the candidate closest to word,
// or "" when none is close enough to be a likely typo. A word that other
// tools use for one of the candidates (params for with, depends_on for
// needs, ignore_errors for continue_on_error) names that candidate too.
func DidYouMean(word string, candidates []string) string {
	if x, ok := Meant(word, candidates); ok {
		return Hint(x)
	}
	return ""
}

// Meant returns the candidate DidYouMean names, and whether there is one.
func Meant(word string, candidates []string) (string, bool) {
	return Through(word, candidates, synonyms)
}

// Through returns the candidate word likely means, and whether there is
// one: the candidate words (the words other tools use, as synonyms)
// maps it to; else the candidate closest to it (Closest); else, for a
// word of minTypoOfWord bytes or more not in words itself, the
// candidate of the word in words it is a typo of ("sucess", as
// "success", for succeeded).
func Through(word string, candidates []string, words map[string]string) (string, bool) {
	if x, ok := words[word]; ok && slices.Contains(candidates, x) {
		return x, true
	}
	if x, ok := Closest(word, candidates); ok {
		return x, true
	}
	if _, ok := words[word]; ok || len(word) < minTypoOfWord {
		return "", false
	}
	keys := make([]string, 0, len(words))
	for k, x := range words {
		if slices.Contains(candidates, x) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // the same answer each time for a tie
	if k, ok := Closest(word, keys); ok {
		return words[k], true
	}
	return "", false
}

// minTypoOfWord is the shortest word taken as a typo of another tool's
// word: a shorter one is a step or two from too many of them ("of" from
// "if", "re" from "red").
const minTypoOfWord = 5

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
	// Operation parameters as Ansible modules, curl and GitHub Actions
	// name them.
	"cmd": "command", "argv": "command", "run": "script",
	"cwd": "dir", "chdir": "dir", "workdir": "dir", "working-directory": "dir", "working_directory": "dir",
	"uri": "url", "data": "body", "payload": "body", "status_code": "expect_status", "expected_status": "expect_status",
	"insecure": "insecure_skip_verify",
	// Statuses and error classes as GitHub Actions (job.status) and
	// Ansible name them.
	"success": "succeeded", "successful": "succeeded", "failure": "failed",
	"timedout": "timeout", "timed_out": "timeout", "denied": "authorization", "unauthorized": "authorization",
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
	limit := 2
	if len(word) > 8 {
		limit = 3
	}
	// A suggestion is at most limit edits away and shorter than the word.
	// Each candidate is only measured as far as it could still beat the
	// best so far, so that a long list (the hosts of an inventory, for each
	// of its unknown names) costs a few steps per name, not a table each.
	bound := min(limit, len(word)-1)
	if bound < 0 || len(word) > maxLen {
		return "", false
	}
	m := newMeter(word)
	best, found := "", false
	for _, c := range candidates {
		if d := m.within(c, bound); d <= bound {
			best, found, bound = c, true, d-1
			if bound < 0 {
				break
			}
		}
	}
	return best, found
}

// Hint phrases a suggestion found otherwise: ` (did you mean "x"?)`.
func Hint(x string) string { return ` (did you mean "` + x + `"?)` }

// maxLen is the longest word, in bytes, that is measured at all.
const maxLen = 64

// meter measures the Damerau-Levenshtein (optimal string alignment)
// distance from one word to others, so a swapped pair of letters counts as
// one edit, in three rows of the word's length kept between candidates.
type meter struct {
	a               []rune
	row2, row1, row []int
}

func newMeter(word string) *meter {
	n := len([]rune(word)) + 1
	return &meter{a: []rune(word), row2: make([]int, n), row1: make([]int, n), row: make([]int, n)}
}

// within returns the distance from the meter's word to b when it is at
// most bound, and bound+1 when it is more.
func (m *meter) within(b string, bound int) int {
	nb := utf8.RuneCountInString(b)
	if len(b) > maxLen || nb-len(m.a) > bound || len(m.a)-nb > bound {
		return bound + 1
	}
	row2, row1, row := m.row2, m.row1, m.row
	for j := range row1 {
		row1[j] = j
	}
	// Only the cells within bound of the diagonal can lead to an answer
	// within bound; those just outside the band read as past it.
	far, n := bound+1, len(m.a)
	lowPrev := 0 // the least of row1
	var prev rune
	i := 0
	for _, cb := range b {
		i++
		lo, hi := max(1, i-bound), min(n, i+bound)
		row[0] = i
		if lo > 1 {
			row[lo-1] = far
		}
		low := far
		if lo == 1 {
			low = i
		}
		for j := lo; j <= hi; j++ {
			cost := 1
			if m.a[j-1] == cb {
				cost = 0
			}
			d := min(row1[j]+1, row[j-1]+1, row1[j-1]+cost)
			if i > 1 && j > 1 && m.a[j-1] == prev && m.a[j-2] == cb {
				d = min(d, row2[j-2]+1)
			}
			row[j] = d
			low = min(low, d)
		}
		if hi < n {
			row[hi+1] = far
		}
		// Every later cell comes from this row, or from the one before
		// by a swap costing one more: past bound, so is the answer.
		if low > bound && lowPrev+1 > bound {
			return far
		}
		lowPrev = low
		row2, row1, row = row1, row, row2
		prev = cb
	}
	return min(row1[n], far)
}
