// Package termtext makes text safe to show on a terminal. Values a run
// prints (a confirm: question, a log message, an error, a command's output)
// can come from a network response or a file; a terminal would act on the
// escape sequences in them, which can retitle the window, move the cursor
// and rewrite what was printed before, so the question a person answers
// need not be the one that was asked.
package termtext

import (
	"strings"
	"unicode/utf8"
)

// Clean returns s without terminal control sequences and control
// characters, keeping newlines and tabs:
//   - escape sequences are removed whole: CSI (ESC [ … final byte, and the
//     8-bit CSI U+009B), OSC, DCS, SOS, PM and APC strings up to their
//     terminator (BEL or ST; an unterminated one to the end of s) and
//     two-byte ESC sequences;
//   - every other C0 and C1 control character and DEL is dropped, carriage
//     return included (it lets later text overwrite a line);
//   - Unicode bidirectional overrides and isolates, which reorder what is
//     shown, are dropped;
//   - invalid UTF-8 becomes U+FFFD.
//
// Text without any of these is returned as it is, without copying.
func Clean(s string) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
			i++
		case r == 0x1b:
			i = skipEscape(s, i+1)
		case r == 0x9b: // 8-bit CSI
			i = skipCSI(s, i+size)
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // 8-bit DCS, SOS, OSC, PM, APC
			i = skipString(s, i+size)
		case dropped(r):
			i += size
		default:
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return b.String()
}

// Line is Clean, with newlines and tabs turned into spaces, for text shown
// on one line.
func Line(s string) string {
	s = Clean(s)
	if !strings.ContainsAny(s, "\n\t") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}

func needsCleaning(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || dropped(r) {
			return true
		}
	}
	return false
}

// IsControl reports whether Clean drops r: a control character (C0, DEL
// or C1) or a bidirectional formatting character, other than newline and
// tab.
func IsControl(r rune) bool { return dropped(r) }

// dropped reports whether r is a control character or a bidirectional
// formatting character other than newline and tab.
func dropped(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// skipEscape returns the index after the escape sequence whose ESC ends
// just before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// Intermediate bytes, then one final byte (ESC ( B, ESC 7, ESC c, …).
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI returns the index after a control sequence's parameters,
// intermediates and final byte, starting just after its introducer. It
// stops early at a byte that cannot belong to the sequence, which is then
// handled as text.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f {
		i++
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString returns the index after a control string (OSC, DCS, …) that
// starts at i: it ends at BEL, ESC \ or the 8-bit ST, or with s.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // a new sequence starts: the string was cut short
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}

// Head returns at most n bytes of the head of s, ending on a whole UTF-8
// character, for a line cut to a width or a limit.
func Head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
