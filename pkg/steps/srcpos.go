package steps

// Where a byte of a decoded scalar is in the file: for problems found at
// load, and for an expression's at run time.

import (
	"bytes"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// source is a playbook file's text. It is not changed once made, so the
// expressions of a plan read it from any goroutine.
type source struct {
	data []byte
	// lineStarts are the byte offsets of the file's lines.
	lineStarts []int
}

func newSource(data []byte) *source {
	s := &source{data: data, lineStarts: []int{0}}
	for i, b := range data {
		if b == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	return s
}

// posAt returns the file position of byte off inside the value of n. The
// value is decoded (escapes resolved, lines folded, block indentation
// removed), so the decoded text is walked alongside the source text from
// where the scalar starts, skipping what decoding dropped.
func (l *source) posAt(n *yaml.Node, off int) Pos {
	s := n.Value
	off = min(max(off, 0), len(s))
	line, col := n.Line, n.Column
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	if block {
		// The content starts on the line after the indicator.
		line, col = line+1, 1
	}
	src, ok := l.from(line, col)
	if !ok {
		return Pos{Line: n.Line, Col: n.Column}
	}
	indent := 0 // of a block's content, which decoding removes from each line
	if block {
		indent = leadingSpaces(src) - leadingSpaces(s)
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && len(src) > 0 {
		src, col = src[1:], col+1 // the opening quote
	}
	dq := n.Style&yaml.DoubleQuotedStyle != 0
	// The source of a value is rarely more than a few times longer than
	// the value; past that the walk has lost its way.
	src = src[:min(len(src), 8*off+4096)]
	i, j := 0, 0 // in s, in src
	skipIndent := func() {
		if block && (j == 0 || src[j-1] == '\n') {
			for k := 0; k < indent && j < len(src) && src[j] == ' '; k++ {
				j++
			}
		}
	}
	for i < off {
		skipIndent()
		if j >= len(src) {
			return Pos{Line: n.Line, Col: n.Column}
		}
		c, d := src[j], s[i]
		switch {
		case c == '\\' && dq && j+1 < len(src):
			// In a double-quoted scalar every backslash starts an escape.
			switch src[j+1] {
			case '\n', '\r': // an escaped line break: nothing decoded
				j += 2
				for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n') {
					j++
				}
				continue
			case 'x':
				j += 4
			case 'u':
				j += 6
			case 'U':
				j += 10
			default:
				j += 2
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		case c == d:
			i, j = i+1, j+1
			if c == '\'' && n.Style&yaml.SingleQuotedStyle != 0 && j < len(src) && src[j] == '\'' {
				j++ // '' is one quote
			}
		case (d == ' ' || d == '\n') && (c == '\n' || c == '\r'):
			// A line break folded into a space, or blank lines into one.
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
				j++
			}
			i++
		default:
			j++ // indentation
		}
	}
	skipIndent()
	consumed := src[:j]
	if nl := bytes.LastIndexByte(consumed, '\n'); nl >= 0 {
		return Pos{Line: line + bytes.Count(consumed, []byte{'\n'}), Col: 1 + utf8.RuneCount(consumed[nl+1:])}
	}
	return Pos{Line: line, Col: col + utf8.RuneCount(consumed)}
}

// leadingSpaces counts the spaces that start the first line of b that is
// not blank.
func leadingSpaces[T string | []byte](b T) int {
	n := 0
	for _, c := range []byte(b) {
		switch c {
		case ' ':
			n++
		case '\n', '\r':
			n = 0
		default:
			return n
		}
	}
	return 0
}

// from returns the file's bytes from a 1-based line and column (in
// characters, as yaml counts them).
func (l *source) from(line, col int) ([]byte, bool) {
	if line < 1 || line > len(l.lineStarts) {
		return nil, false
	}
	data := l.data[l.lineStarts[line-1]:]
	if line == 1 {
		// yaml counts no column for a byte order mark.
		data = bytes.TrimPrefix(data, []byte("\ufeff"))
	}
	for ; col > 1 && len(data) > 0 && data[0] != '\n'; col-- {
		_, size := utf8.DecodeRune(data)
		data = data[size:]
	}
	return data, true
}
