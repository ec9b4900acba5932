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
		if n > 0 && w > n {
			if cur != "" {
				lines = append(lines, cur)
				cur, curW = "", 0
			}
			parts := Cut(word, n)
			lines = append(lines, parts[:len(parts)-1]...)
			word = parts[len(parts)-1]
			w = Width(word)
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

// Cut breaks s, spaces and all, into pieces of at most n columns on a
// terminal (Width), in order: a piece holds one character wider than n
// alone. It gives s whole when it fits, or when n < 1.
func Cut(s string, n int) []string {
	if n < 1 || Width(s) <= n {
		return []string{s}
	}
	var parts []string
	for s != "" {
		head := HeadWidth(s, n)
		if head == "" { // one character wider than n
			_, size := utf8.DecodeRuneInString(s)
			head = s[:size]
		}
		parts = append(parts, head)
		s = s[len(head):]
	}
	return parts
}
