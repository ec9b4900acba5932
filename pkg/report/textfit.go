package report

import (
	"strings"
	"unicode/utf8"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// minNoteRoom is the least room beside the other columns that a wrapped
// NOTE stays readable in; with less, it goes under its row.
const minNoteRoom = 24

// fitNotes fits the step table (a header ending in NOTE, every row with
// its note in that column) to width columns: a note that runs past the
// width wraps at spaces under itself, or, with less than minNoteRoom
// beside the other columns, under its row, indented. width 0 leaves the
// table as it is; fitted, no line ends in spaces.
func fitNotes(table string, width int) string {
	return FitLastColumn(table, "NOTE", width)
}

// FitLastColumn fits a table whose header ends in the column named last
// (a step table's NOTE or ERROR) to width columns, as fitNotes does.
func FitLastColumn(table, last string, width int) string {
	header, _, _ := strings.Cut(table, "\n")
	start := utf8.RuneCountInString(header) - utf8.RuneCountInString(last)
	if width <= 0 || start < 0 || !strings.HasSuffix(header, last) {
		return table
	}
	var b strings.Builder
	for _, body := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
		if termtext.Width(body) <= width || termtext.Width(body) <= start {
			b.WriteString(strings.TrimRight(body, " ") + "\n")
			continue
		}
		// The columns before NOTE, which start at the same screen column
		// on every line of a table aligned by columns (termtext.Align).
		prefix := termtext.HeadWidth(body, start)
		note := body[len(prefix):]
		room := width - termtext.Width(prefix)
		if room < minNoteRoom {
			b.WriteString(strings.TrimRight(prefix, " ") + "\n")
			for _, part := range termtext.Wrap(note, max(width-6, minNoteRoom)) {
				b.WriteString("      " + part + "\n")
			}
			continue
		}
		for i, part := range termtext.Wrap(note, room) {
			if i > 0 {
				prefix = strings.Repeat(" ", width-room)
			}
			b.WriteString(strings.TrimRight(prefix+part, " ") + "\n")
		}
	}
	return b.String()
}
