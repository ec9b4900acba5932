package steps

import (
	"fmt"
	"strings"
)

// closers pairs each closing bracket with the one it closes.
var closers = map[byte]byte{')': '(', ']': '[', '}': '{'}

// strayCloser says what to do about the closing bracket at src[off] when
// nothing before it opens one of its kind, as in `x == 1 )`, or "" when
// src[off] is no such bracket. Brackets inside quoted text do not count.
func strayCloser(src string, off int) string {
	if off < 0 || off >= len(src) {
		return ""
	}
	want, ok := closers[src[off]]
	if !ok {
		return ""
	}
	var open []byte
	var quote byte
	for i := 0; i < off; i++ {
		c := src[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			open = append(open, c)
		case closers[c] != 0 && len(open) > 0:
			open = open[:len(open)-1]
		}
	}
	if quote != 0 || len(open) > 0 && open[len(open)-1] == want {
		return ""
	}
	closer := string(src[off])
	if closer == "}" && strings.HasPrefix(src[off:], "}}") {
		return "}} closes no ${{ here: this is an expression already; remove the }}"
	}
	if len(open) > 0 {
		return fmt.Sprintf("%s does not close the %c opened before it: close that with %c first", closer, open[len(open)-1], closerOf(open[len(open)-1]))
	}
	return fmt.Sprintf("%s closes nothing: remove it, or add the %c it closes where the group starts", closer, want)
}

func closerOf(open byte) byte {
	for c, o := range closers {
		if o == open {
			return c
		}
	}
	return 0
}

// misspeltOperator says what to write for `=>` and `=<`, which expr reads
// as = followed by a comparison, or "" when src has neither at off.
func misspeltOperator(src string, off int) string {
	if off < 0 || off >= len(src) {
		return ""
	}
	switch {
	case strings.HasPrefix(src[off:], "=>"):
		return "=> is not an operator in expressions: for greater than or equal, write >="
	case strings.HasPrefix(src[off:], "=<"):
		return "=< is not an operator in expressions: for less than or equal, write <="
	}
	return ""
}

// notTerminated is what to do about expr's "literal not terminated".
const notTerminated = "a quoted text is not closed: end it with the quote it starts with (\" or ')"
