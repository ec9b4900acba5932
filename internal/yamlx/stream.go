package yamlx

import "bytes"

// The file around its one document: what an empty file holds.

// onlyComments reports whether data, which holds no YAML document, has
// comments in it: lines that are blank or start with "#" after their
// indentation, one of them at least a comment. Such a file is not empty
// in an editor, and "the file is empty" would send its reader looking
// for a file that was truncated.
func onlyComments(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	comment := false
	for line := range bytes.Lines(data) {
		line = bytes.TrimLeft(line, " \t")
		switch {
		case len(bytes.TrimRight(line, "\r\n")) == 0:
		case line[0] == '#':
			comment = true
		default:
			return false
		}
	}
	return comment
}
