// Package termtext makes text safe to print on a terminal: escape
// sequences (CSI, OSC, DCS and the rest) and other control characters in
// values that came from playbooks, commands or servers could otherwise
// move the cursor, rewrite earlier lines, retitle the window or hide text.
package termtext

import (
	"strconv"
	"unicode/utf8"
)

// Safe returns s with escape sequences removed and other control
// characters (except tab) shown as \xNN. Newlines are shown as \n, so one
// value stays on one line.
func Safe(s string) string {
	if clean(s) {
		return s
	}
	return string(AppendSafe(nil, s))
}

// SafeLines is Safe but keeps newlines, for multi-line text such as a
// confirm: question.
func SafeLines(s string) string {
	if clean(s) {
		return s
	}
	return string(appendSafe(nil, s, true))
}

// AppendSafe appends Safe(s) to b.
func AppendSafe(b []byte, s string) []byte {
	if clean(s) {
		return append(b, s...)
	}
	return appendSafe(b, s, false)
}

func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}

func appendSafe(b []byte, s string, keepNewlines bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEscape(s, i)
			continue
		case c == '\n' && keepNewlines:
			b = append(b, '\n')
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\t':
			b = append(b, '\t')
		case c < 0x20 || c == 0x7f:
			b = append(b, `\x`...)
			b = appendHex(b, c)
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\x`...)
				b = appendHex(b, c)
				i++
				continue
			}
			// C1 controls (U+0080..U+009F) act like ESC sequences on some
			// terminals: CSI is U+009B, OSC U+009D.
			if r >= 0x80 && r <= 0x9f {
				i += size
				continue
			}
			b = append(b, s[i:i+size]...)
			i += size
			continue
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}

func appendHex(b []byte, c byte) []byte {
	if c < 0x10 {
		b = append(b, '0')
	}
	return strconv.AppendUint(b, uint64(c), 16)
}

// skipEscape returns the index after the escape sequence starting at i.
func skipEscape(s string, i int) int {
	i++ // ESC
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: parameters and intermediates, then a final byte 0x40..0x7e
		i++
		for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
			i++
		}
		return min(i+1, len(s))
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC: up to BEL or ST
		i++
		for i < len(s) {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			i++
		}
		return i
	default: // a two-byte sequence such as ESC c (reset)
		return i + 1
	}
}
