package server

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// bodyPosition is where byte offset off of a request body is, as an
// editor shows it: "line 3, column 14 (byte 40)", the column counted in
// characters from 1.
func bodyPosition(data []byte, off int64) string {
	if off < 0 || off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return "line " + itoa(line) + ", column " + itoa(col) + " (byte " + itoa(int(off)) + ")"
}

// syntaxHint says what to fix for a JSON syntax error.
func syntaxHint(err error) string {
	msg := err.Error()
	switch {
	case err == io.ErrUnexpectedEOF || strings.Contains(msg, "unexpected EOF"):
		return "the body ends before the JSON does: close each open string, { and [ (or send the whole body)"
	case strings.Contains(msg, "character ',' at start of value"):
		return "remove the trailing comma before the } or ], or give the value after it"
	case strings.Contains(msg, `character '\'' at start of value`):
		return `JSON strings take double quotes: "name", not 'name'`
	case strings.Contains(msg, "after object name"):
		return `put a ':' between the key and its value: {"key": value}`
	case strings.Contains(msg, "after object value"):
		return "put a ',' between the members, or close the object with }"
	case strings.Contains(msg, "after array element"):
		return "put a ',' between the items, or close the list with ]"
	case strings.Contains(msg, "in literal"):
		return "write true, false or null in full, or quote a string"
	case strings.Contains(msg, "in string"):
		return `escape it in the string: \n, \t, or \u00XX`
	case strings.Contains(msg, "after top-level value"):
		return "send one JSON object: remove what follows its closing }"
	case strings.Contains(msg, "at start of value"):
		return `a value is a "string", a number, true, false, null, an {object} or a [list]`
	}
	return "fix the JSON there"
}
