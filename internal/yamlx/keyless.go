package yamlx

import (
	"bytes"
	"fmt"
	"regexp"
)

// A list whose key was left out (steps: forgotten between name: and the
// first `- id:`) reads as list items after a key that has its value
// already: the YAML library says "did not find expected key" or "mapping
// values are not allowed in this context", which names no key at all.

// scalarKey matches a line `key: value` whose value is on the line and
// is plain text: not a collection, block scalar, anchor or alias.
var scalarKey = regexp.MustCompile(`^([ ]*)([^\s#:\-][^:#]*):[ \t]+[^\s#|>&*\[{'"]`)

// listItem matches a line that starts a block list item.
var listItem = regexp.MustCompile(`^([ ]*)-([ \t]|\r?$)`)

// keylessListMsg is the message for a syntax error at line n of data
// when that line is a list item after a key that has a value on its own
// line, indented no less than it; "" otherwise.
func keylessListMsg(data []byte, n int) string {
	item := listItem.FindSubmatch(lineAt(data, n))
	if item == nil {
		return ""
	}
	for k := n - 1; k >= 1; k-- {
		line := lineAt(data, k)
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		m := scalarKey.FindSubmatch(line)
		if m == nil || len(item[1]) < len(m[1]) {
			return ""
		}
		fix := "write the key the list belongs to (steps:, say) on a line of its own above the first item"
		if len(m[1]) > 0 {
			// Nested: as likely an item of a list above, indented too far.
			fix = "write the key the list belongs to on a line of its own above the first item, or, if the item belongs to a list above, indent its - as that list's other items"
		}
		return fmt.Sprintf("YAML syntax: a list item where a key belongs: %s: on line %d has its value already, so the list cannot be its; %s", bytes.TrimSpace(m[2]), k, fix)
	}
	return ""
}
