package termtext

import (
	"strings"
	"unicode/utf8"
)

// Wrap breaks s at spaces into lines of at most n columns on a terminal
// (Width: a Chinese character takes two). A word wider than n (a path, a
// URL, an expression, a line of text without spaces) is cut into lines of
// n, so that it stays in its column rather than the terminal wrapping it
// into the next row's first column.
func Wrap(s string, n int) []string {
	var lines []string
	cur, curW := "", 0
	for _, word := range strings.Fields(s) {
		w := Width(word)
		for n > 0 && w > n {
			if cur != "" {
				lines = append(lines, cur)
				cur, curW = "", 0
			}
			head := HeadWidth(word, n)
			if head == "" { // one character wider than n
				_, size := utf8.DecodeRuneInString(word)
				head = word[:size]
			}
			lines = append(lines, head)
			word, w = word[len(head):], w-Width(head)
		}
		switch {
		case cur == "":
			cur, curW = word, w
		case curW+1+w <= n:
			cur, curW = cur+" "+word, curW+1+w
		default:
			lines = append(lines, cur)
			cur, curW = word, w
		}
	}
	return append(lines, cur)
}
