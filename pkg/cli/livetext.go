package cli

import (
	"strings"
	"unicode/utf8"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// The text the live view writes: a failed step's heading and padded,
// coloured labels.

// stderrTail is how a process step's error introduces the last lines of its
// stderr, which follow on lines of their own.
const stderrTail = "; stderr ends with:"

// errHeading is the first line of a failed step's error as the view shows
// it. The lines under it are the step's output, stdout and stderr mixed,
// or none (--quiet, or none kept): not the stderr the heading announces.
// So the heading says what follows, or goes when nothing does.
func errHeading(first string, output bool) string {
	h, ok := strings.CutSuffix(first, stderrTail)
	switch {
	case !ok:
		return first
	case output:
		return h + "; output ends with:"
	}
	return h
}

// padVisible pads s with spaces to n characters on the screen: the colour
// codes in it take no room there, so fmt's %-24s, which counts them, would
// leave a coloured label's columns short of an uncoloured one's.
func padVisible(s string, n int) string {
	if w := utf8.RuneCountInString(termtext.Clean(s)); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
