package yamlx

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Two slips of the keyboard that YAML reads as something else, or as
// nothing, and reports without a word of them: a list item without the
// space after its dash (`-id: a` is a key named "-id"), and a key written
// with = as in an env file or on a command line (`count=3` is text).

var (
	dashKeyRE = regexp.MustCompile(`^[ ]*-([A-Za-z_][A-Za-z0-9_]*):(?:[ \t]|$)`)
	eqPairRE  = regexp.MustCompile(`^[ ]*([A-Za-z_][A-Za-z0-9_.-]*)=[^=]`)
)

// DashKeyHint is the advice for a line that starts `-key:`, a list
// item missing the space after its dash; "" for any other line.
func DashKeyHint(line []byte) string {
	m := dashKeyRE.FindSubmatch(line)
	if m == nil {
		return ""
	}
	return fmt.Sprintf("-%s: has no space after the dash, so YAML reads a key named \"-%s\", not a list item: write - %s:", m[1], m[1], m[1])
}

// EqPairHint is the advice for a line that starts `name=`, a key and
// value written with = instead of ": "; "" for any other line. The value
// is not repeated: it may be a secret.
func EqPairHint(line []byte) string {
	m := eqPairRE.FindSubmatch(line)
	if m == nil {
		return ""
	}
	return fmt.Sprintf("%s= is not a key: YAML writes a key and its value with a colon and a space: write %s: followed by the value", m[1], m[1])
}

// slipMsg finds the slip behind syntax error err, found at p in data:
// the line there, or the line above it, when it is one of the slips
// above, with the message for it. The YAML reader names the line after
// an `-id: a` (indented deeper, as the item's other keys are), and the
// line after a `count=3` that a `key: value` follows.
func slipMsg(data []byte, err error, p Pos) (Pos, string, bool) {
	msg := err.Error()
	if !strings.Contains(msg, "mapping values are not allowed in this context") && !strings.Contains(msg, "could not find expected ':'") && !strings.Contains(msg, "did not find expected key") {
		return p, "", false
	}
	for k := p.Line; k >= 1 && k >= p.Line-1; k-- {
		line := lineAt(data, k)
		h := DashKeyHint(line)
		if h == "" {
			h = EqPairHint(line)
		}
		if h != "" {
			col := len(line) - len(bytes.TrimLeft(line, " ")) + 1
			return Pos{k, col}, "YAML syntax: " + h, true
		}
	}
	return p, "", false
}
