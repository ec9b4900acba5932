package termtext

import (
	"strings"
	"unicode/utf8"
)

// Wrap breaks s at spaces into lines of at most n characters. A word
// longer than n (a path, a URL, an expression) is cut into lines of n, so
// that it stays in its column rather than the terminal wrapping it into
// the next row's first column.
func Wrap(s string, n int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		for n > 0 && utf8.RuneCountInString(word) > n {
			if cur != "" {
				lines = append(lines, cur)
				cur = ""
			}
			r := []rune(word)
			lines = append(lines, string(r[:n]))
			word = string(r[n:])
		}
		switch {
		case cur == "":
			cur = word
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= n:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	return append(lines, cur)
}
