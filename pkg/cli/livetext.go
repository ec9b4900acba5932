package cli

import (
	"strings"

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

// padVisible pads s with spaces to n columns on the screen: the colour
// codes in it take no room there, so fmt's %-24s, which counts them, would
// leave a coloured label's columns short of an uncoloured one's; and a
// name in Japanese or with emoji takes two columns a character, which a
// count of characters would leave the columns after it out of line.
func padVisible(s string, n int) string {
	if w := termtext.Width(termtext.Clean(s)); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// maxLiveLabelCols is the most columns a finished step's label (its id
// and name) takes before its status; liveTimeCols the columns its time is
// given after the status ("12m30s", "1.5s (reused)" runs past them).
const (
	maxLiveLabelCols = 24
	liveTimeCols     = 8
)

// liveLabelCols is the label column's width on a terminal width columns
// wide: maxLiveLabelCols, or less on a narrow one, where the icon, label,
// status and time are to fit in one row, but never under 8.
func liveLabelCols(width int) int {
	// "✓ " label " " status (10 columns) " " time; none in the last column.
	return min(maxLiveLabelCols, max(8, width-1-2-1-10-1-liveTimeCols))
}

// liveLabel is a finished step's label, its id and its name (dimmed) in
// brackets, padded or cut to n columns so that the status after it stays
// in its column: a name too long is cut with an ellipsis, then dropped
// where even its start has no room; an id too long is cut as well. The
// report has both in full.
func (v *liveView) liveLabel(id, name string, n int) string {
	id, name = termtext.Line(id), termtext.Line(name)
	cut := func(s string, n int) string {
		if termtext.Width(s) <= n {
			return s
		}
		return strings.TrimRight(termtext.HeadWidth(s, n-1), " ") + "…"
	}
	// The name's room inside " (" and ")"; a cut one keeps three columns
	// of itself at least, or goes.
	room := n - termtext.Width(id) - 3
	if name == "" || name == id || termtext.Width(name) > room && room < 4 {
		return padVisible(cut(id, n), n)
	}
	return padVisible(id+" "+v.p.dim("("+cut(name, room)+")"), n)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// minLiveNoteRoom is the least room beside a finished step's columns that
// its wrapped note stays readable in; with less, it goes under the line.
const minLiveNoteRoom = 24

// fitNote is a finished step's line, head (its columns, coloured) and
// note (the reason it was skipped or its error, on one line), fitted to
// the terminal's width: a note that runs past it wraps at spaces under
// itself, or, with less than minLiveNoteRoom beside the head, under the
// line, indented, as the summary's NOTE column does. The terminal would
// otherwise wrap it into the first column, under the icons.
func (v *liveView) fitNote(head, note string) []string {
	if note == "" {
		return []string{head}
	}
	width := v.width - 1 // a character in the last column moves some terminals' cursor on
	headW := termtext.Width(termtext.Clean(head)) + 2
	if headW+termtext.Width(note) <= width {
		return []string{head + "  " + v.p.dim(note)}
	}
	room := width - headW
	if room < minLiveNoteRoom {
		out := []string{head}
		for _, part := range termtext.Wrap(note, max(width-6, minLiveNoteRoom)) {
			out = append(out, "      "+v.p.dim(part))
		}
		return out
	}
	var out []string
	for i, part := range termtext.Wrap(note, room) {
		if i == 0 {
			out = append(out, head+"  "+v.p.dim(part))
			continue
		}
		out = append(out, strings.Repeat(" ", headW)+v.p.dim(part))
	}
	return out
}

// maxOutputRows is the most rows one line of a failed step's output takes.
const maxOutputRows = 8

// fitOutput cuts a line of a step's output shown under its finished line
// ("    │ ") into pieces that fit the terminal, by columns and keeping
// its spaces (an indented table stays one), so that the terminal does not
// wrap it into the first column, out of the gutter that marks it output.
// A line longer than maxOutputRows rows is cut there, with a note of the
// bytes left out (added to a cut the line already had), so that one long
// line (a minified response, a base64 blob) does not push the step's own
// line and the lines that say why it failed out of sight.
func (v *liveView) fitOutput(l string) []string {
	room := v.width - 1 - 6 // "    │ " takes six columns
	if room < minLiveNoteRoom {
		return []string{l}
	}
	parts := termtext.Cut(l, room)
	if len(parts) <= maxOutputRows {
		return parts
	}
	cut := 0
	if n, size, ok := termtext.TrailingCut(l); ok {
		cut, l = n, l[:len(l)-size]
	}
	head := termtext.HeadWidth(l, maxOutputRows*room-termtext.CutNoteMax)
	return termtext.Cut(head+termtext.CutNote(cut+len(l)-len(head)), room)
}
