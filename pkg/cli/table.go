package cli

import (
	"io"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// table prints aligned columns separated by two spaces. Styles are applied
// after the widths are measured, so colour does not break alignment.
type table struct {
	header []string
	rows   [][]string
	// style colours a cell of column col; nil leaves it plain.
	style func(col int, cell string) string
	// indent is written before every line.
	indent string
	// bare leaves the header line out; the header still names the columns.
	bare bool
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write writes the table to w; on a terminal, a last column that would
// run past its width wraps at spaces under itself, rather than into the
// next row's first column.
func (t *table) write(w io.Writer, p palette) { t.writeWidth(w, p, termWidth(w)) }

// minWrapped is the least room for the last column that wrapping it
// within the width leaves readable; with less, the terminal wraps it.
const minWrapped = 24

func (t *table) writeWidth(w io.Writer, p palette, width int) {
	widths := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], termtext.Width(c))
			}
		}
	}
	var b strings.Builder
	line := func(cells []string, header bool) {
		b.WriteString(t.indent)
		for i, c := range cells {
			styled := c
			switch {
			case header:
				styled = p.bold(c)
			case t.style != nil:
				styled = t.style(i, c)
			}
			b.WriteString(styled)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-termtext.Width(c)+2))
			}
		}
		// Trailing spaces of an empty last cell are not written.
		s := strings.TrimRight(b.String(), " ")
		b.Reset()
		io.WriteString(w, s+"\n")
	}
	last := len(t.header) - 1
	start := termtext.Width(t.indent)
	for _, wd := range widths[:max(last, 0)] {
		start += wd + 2
	}
	room := width - start
	if !t.bare {
		line(t.header, true)
	}
	under := t.indent + "    "
	for _, r := range t.rows {
		if width <= 0 || len(r) != len(t.header) || termtext.Width(r[last]) <= room {
			line(r, false)
			continue
		}
		if room < minWrapped {
			// No room beside the other columns: under the row, indented.
			line(append(r[:last:last], ""), false)
			for _, part := range termtext.Wrap(r[last], max(width-len(under), minWrapped)) {
				io.WriteString(w, under+part+"\n")
			}
			continue
		}
		parts := termtext.Wrap(r[last], room)
		line(append(r[:last:last], parts[0]), false)
		for _, part := range parts[1:] {
			cont := make([]string, len(r))
			cont[last] = part
			line(cont, false)
		}
	}
}

// fitWords is text as lines that fit, after indent columns, the terminal
// w is (termtext.Wrap), or text as one line when w is not one.
func fitWords(w io.Writer, text string, indent int) []string {
	if width := termWidth(w); width-indent >= minWrapped {
		return termtext.Wrap(text, width-indent)
	}
	return []string{text}
}
