package cli

import (
	"io"
	"slices"
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
	// cut, on a terminal, ends a line that would run past its width in
	// "…" at the width, as git log --oneline cuts its lines, rather than
	// wrapping a column: for a table whose columns lead with what
	// matters.
	cut bool
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write writes the table to w; on a terminal, a last column that would
// run past its width wraps at spaces under itself, rather than into the
// next row's first column, and so do the widest of the other columns when
// they alone would run past it (a long playbook name or run id).
func (t *table) write(w io.Writer, p palette) { t.writeWidth(w, p, termWidth(w)) }

// minWrapped is the least room for the last column that wrapping it
// within the width leaves readable; with less, the terminal wraps it.
const minWrapped = 24

// A column before the last is wrapped only when it is wider than
// longColumn (names, ids; not dates, statuses or numbers), and to no
// narrower than minColumn; a table that does not fit so is left to the
// terminal to wrap.
const (
	longColumn = 20
	minColumn  = 12
)

func (t *table) writeWidth(w io.Writer, p palette, width int) {
	widths := t.widths()
	last := len(t.header) - 1
	if width > 0 && last > 0 && !t.cut {
		fitColumns(widths, termtext.Width(t.indent), width)
	}
	var b strings.Builder
	line := func(cells []string, header bool) {
		b.WriteString(t.indent)
		pos, whole := termtext.Width(t.indent), 0
		for i, c := range cells {
			whole += termtext.Width(c)
			if i < len(cells)-1 {
				whole += max(widths[i]-termtext.Width(c), 0) + 2
			}
		}
		cutting := t.cut && width > 0 && pos+whole > width
		for i, c := range cells {
			pad := ""
			if i < len(cells)-1 {
				pad = strings.Repeat(" ", max(widths[i]-termtext.Width(c), 0)+2)
			}
			end := cutting && pos+termtext.Width(c+pad) > width-1
			if end {
				c = strings.TrimRight(termtext.HeadWidth(c+pad, max(width-1-pos, 0)), " ")
			}
			styled := c
			switch {
			case end && c == "":
			case header:
				styled = p.bold(c)
			case t.style != nil:
				styled = t.style(i, c)
			}
			if end {
				b.WriteString(styled)
				s := strings.TrimRight(b.String(), " ") + "…"
				b.Reset()
				io.WriteString(w, s+"\n")
				return
			}
			b.WriteString(styled + pad)
			pos += termtext.Width(c + pad)
		}
		// Trailing spaces of an empty last cell are not written.
		s := strings.TrimRight(b.String(), " ")
		b.Reset()
		io.WriteString(w, s+"\n")
	}
	start := termtext.Width(t.indent)
	for _, wd := range widths[:max(last, 0)] {
		start += wd + 2
	}
	room := width - start
	under := t.indent + "    "
	// row writes r, a cell of a column before the last wider than the
	// column wrapped within it, the last cell beside them as it fits.
	row := func(r []string, header bool) {
		if width <= 0 || t.cut || len(r) != len(t.header) {
			line(r, header)
			return
		}
		cells := make([][]string, len(r))
		for i, c := range r[:last] {
			cells[i] = []string{c}
			if termtext.Width(c) > widths[i] {
				cells[i] = termtext.Wrap(c, widths[i])
			}
		}
		var below []string
		switch {
		case termtext.Width(r[last]) <= room, header && room >= minWrapped:
			cells[last] = []string{r[last]}
		case room < minWrapped:
			// No room beside the other columns: under the row, indented
			// (the header's name too, over the cells that go there).
			cells[last] = []string{""}
			below = termtext.Wrap(r[last], max(width-len(under), minWrapped))
		default:
			cells[last] = termtext.Wrap(r[last], room)
		}
		n := 0
		for _, c := range cells {
			n = max(n, len(c))
		}
		for k := range n {
			out := make([]string, len(r))
			for i, c := range cells {
				if k < len(c) {
					out[i] = c[k]
				}
			}
			line(out, header)
		}
		for _, part := range below {
			if header {
				part = p.bold(part)
			}
			io.WriteString(w, under+part+"\n")
		}
	}
	if !t.bare {
		row(t.header, true)
	}
	for _, r := range t.rows {
		row(r, false)
	}
}

// widths is the columns each column of the table takes at most.
func (t *table) widths() []int {
	widths := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], termtext.Width(c))
			}
		}
	}
	return widths
}

// fits is whether the table, its long columns wrapped, fits a terminal
// of width columns without the terminal wrapping its rows.
func (t *table) fits(width int) bool {
	widths := t.widths()
	if width <= 0 || len(widths) < 2 {
		return true
	}
	return fitColumns(widths, termtext.Width(t.indent), width)
}

// fitColumns narrows the widest of the long columns before the last,
// none below minColumn, until they leave the last column its room within width: its
// own width when it is narrower than minWrapped, else none (it then goes
// under each row). When they cannot, widths are left as they are, and it
// returns false.
func fitColumns(widths []int, indent, width int) bool {
	last := len(widths) - 1
	lastNeed := widths[last]
	if lastNeed >= minWrapped {
		lastNeed = 0
	}
	need := func() int {
		n := indent + lastNeed
		for _, wd := range widths[:last] {
			n += wd + 2
		}
		return n
	}
	over := need() - width
	if over <= 0 {
		return true
	}
	fitted := slices.Clone(widths)
	for ; over > 0; over-- {
		widest := -1
		for i, wd := range fitted[:last] {
			if widths[i] > longColumn && wd > minColumn && (widest < 0 || wd > fitted[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return false
		}
		fitted[widest]--
	}
	copy(widths, fitted)
	return true
}

// fitWords is text as lines that fit, after indent columns, the terminal
// w is (termtext.Wrap), or text as one line when w is not one.
func fitWords(w io.Writer, text string, indent int) []string {
	if width := termWidth(w); width-indent >= minWrapped {
		return termtext.Wrap(text, width-indent)
	}
	return []string{text}
}
