package capture

import (
	"strings"
	"unicode/utf8"
)

// Text returns b as a string that is valid UTF-8 and safe on a terminal:
// invalid bytes become U+FFFD, terminal escape sequences (colours, cursor
// moves, window titles) are removed, and so are control characters other
// than newline and tab (a carriage return could hide text by overwriting a
// line).
func Text(b []byte) string {
	clean := true
	for _, c := range b {
		if c >= 0x80 || c == 0x7f || (c < 0x20 && c != '\n' && c != '\t') {
			clean = false
			break
		}
	}
	if clean {
		return string(b)
	}
	return TextOf([][]byte{b}, false)
}

// TextOf returns parts, one after the other, as Text makes them, in one
// string of its exact length (TextLen): no joined copy of the parts, nor
// a string grown through copies. The parts are those of Cut, whose note
// ends any escape sequence or character the head leaves open. Each
// invalid byte becomes U+FFFD, three bytes of text for one; with runs,
// each run of them becomes one, as strings.ToValidUTF8 makes it, so that
// the text is never more than twice the bytes and a byte.
func TextOf(parts [][]byte, runs bool) string {
	var sb strings.Builder
	sb.Grow(TextLen(parts, runs))
	for _, p := range parts {
		walkText(p, runs, func(s []byte) { sb.Write(s) })
	}
	return sb.String()
}

// TextLen is the length of TextOf(parts, runs).
func TextLen(parts [][]byte, runs bool) int {
	n := 0
	for _, p := range parts {
		walkText(p, runs, func(s []byte) { n += len(s) })
	}
	return n
}

// replacement is U+FFFD, what an invalid byte becomes.
var replacement = []byte("\uFFFD")

// walkText calls keep with what Text makes of b, in order: the runs of
// b's bytes it keeps as they are, and replacement for each invalid byte
// (for each run of them, with runs).
func walkText(b []byte, runs bool, keep func([]byte)) {
	start := 0       // of the bytes kept as they are, not passed on yet
	invalid := false // the byte before was invalid
	pass := func(end int) {
		if end > start {
			keep(b[start:end])
		}
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			invalid = false
			switch {
			case c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f):
				i++
			case c == 0x1b:
				pass(i)
				i = skipEscape(b, i+1)
				start = i
			default: // a control character, dropped
				pass(i)
				i++
				start = i
			}
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			pass(i)
			if !runs || !invalid {
				keep(replacement)
			}
			invalid = true
			i++
			start = i
			continue
		case r <= 0x9f: // C1 controls, including 8-bit CSI: dropped
			pass(i)
			i += size
			start = i
		default:
			i += size
		}
		invalid = false
	}
	pass(len(b))
}

// skipEscape returns the index after the escape sequence whose ESC was just
// before i.
func skipEscape(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '[': // CSI: parameters 0x30-0x3f, intermediates 0x20-0x2f, final 0x40-0x7e
		i++
		for i < len(b) && b[i] >= 0x20 && b[i] <= 0x3f {
			i++
		}
		if i < len(b) && b[i] >= 0x40 && b[i] <= 0x7e {
			i++
		}
		return i
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC: up to BEL or ESC \
		// One cut short ends at the end of its line, or where another
		// sequence starts: what follows is text, kept. A terminal would
		// wait for the terminator, but here that would drop the rest of
		// the output, the note of a max_output cut and the tail after it
		// included, when the cut went through a hyperlink.
		for i++; i < len(b); i++ {
			switch {
			case b[i] == 0x07:
				return i + 1
			case b[i] == 0x1b && i+1 < len(b) && b[i+1] == '\\':
				return i + 2
			case b[i] == 0x1b || b[i] == '\n':
				return i
			}
		}
		return i
	}
	for i < len(b) && b[i] >= 0x20 && b[i] <= 0x2f { // intermediates, as in ESC ( B
		i++
	}
	if i < len(b) && b[i] >= 0x30 && b[i] <= 0x7e {
		i++
	}
	return i
}
