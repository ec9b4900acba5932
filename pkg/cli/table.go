package cli

import (
	"io"
	"strings"
	"unicode/utf8"
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
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, p palette) {
	widths := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
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
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		// Trailing spaces of an empty last cell are not written.
		s := strings.TrimRight(b.String(), " ")
		b.Reset()
		io.WriteString(w, s+"\n")
	}
	line(t.header, true)
	for _, r := range t.rows {
		line(r, false)
	}
}
