package termtext

import "strings"

// Indent returns head and the text s, cleaned (Clean), each line of s
// after the first indented with pad, every line ending in a newline. An
// error's later lines are what a step printed (a shell step's stderr);
// indented, none of them can pass for a line of the tool's own, such as
// "✓ NAME succeeded". For a terminal of width columns (0: no limit) every
// line wraps at spaces within it, the rows after the first indented too,
// so that the terminal does not wrap a long line into the first column.
func Indent(head, s, pad string, width int) string {
	var b strings.Builder
	lines := strings.Split(strings.TrimRight(Clean(s), "\n"), "\n")
	lines[0] = head + lines[0]
	for i, l := range lines {
		if i > 0 {
			b.WriteString(pad)
		}
		if width <= 0 {
			b.WriteString(l + "\n")
			continue
		}
		room := max(width-1-len(pad), 20)
		if i == 0 && Width(l) <= width-1 {
			room = width - 1
		}
		for j, part := range Wrap(l, room) {
			if j > 0 {
				b.WriteString(pad)
			}
			b.WriteString(part + "\n")
		}
	}
	return b.String()
}
