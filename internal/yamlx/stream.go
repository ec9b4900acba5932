package yamlx

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// The file around its one document: what an empty file holds, and the
// empty documents a generator may leave after it.

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

// emptyDoc reports whether doc is an empty document: a `---` with
// nothing after it but comments, as a generator that writes a `---`
// after every document leaves at the end of the file (kubectl skips such
// a document too). A document that says null (`--- ~`, `--- null`),
// or that has a tag or an anchor, is not empty.
func emptyDoc(doc *yaml.Node) bool {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return false
	}
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" && n.Style == 0 && n.Anchor == ""
}
