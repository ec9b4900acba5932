package termtext

import "strings"

// Align lays out a table whose cells end in tabs, as text/tabwriter does
// with no minimum width, padding gap and spaces: each cell a tab ends is
// padded to its column's widest cell plus gap, and the last cell of a line
// is left as it is; a line whose last cell is empty ends with the last
// cell that has text, unpadded. Widths are counted in terminal columns
// (Width), where tabwriter counts characters: a host or step named in
// Japanese, which takes two columns a character, would push the columns
// after it out of line with the rows above. Every line is taken as one
// block, so it suits tables whose lines have the same cells, as a step
// table's have.
func Align(table string, gap int) string {
	lines := strings.Split(table, "\n")
	rows := make([][]string, len(lines))
	var widths []int
	for i, l := range lines {
		rows[i] = strings.Split(l, "\t")
		for j, c := range rows[i][:len(rows[i])-1] {
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], Width(c))
		}
	}
	var b strings.Builder
	for i, cells := range rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		last := len(cells) - 1
		var line strings.Builder
		for j, c := range cells[:last] {
			line.WriteString(c)
			line.WriteString(strings.Repeat(" ", widths[j]-Width(c)+gap))
		}
		line.WriteString(cells[last])
		if cells[last] == "" {
			// No padding after the last cell with text: a row whose
			// NOTE is empty ended in spaces, which a pipe, a CI log or
			// a diff of saved output keeps.
			b.WriteString(strings.TrimRight(line.String(), " "))
			continue
		}
		b.WriteString(line.String())
	}
	return b.String()
}
