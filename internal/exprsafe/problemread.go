package exprsafe

import (
	"regexp"
	"strings"
)

// A field read from a value that is not a map fails at run time in Go's
// words: "cannot fetch b from int" for a number, "invalid operation:
// int(string)" for a list or a text (expr then takes the field's name for
// an index and cannot make it a number), and a map read with a number,
// "reflect.Value.MapIndex: value of type int is not assignable to type
// string". readProblem names the value as the expression writes it and
// says what it is and how to read it.

var (
	reFetch    = regexp.MustCompile(`^cannot fetch (\S+) from (\S+)$`)
	reIndex    = regexp.MustCompile(`^invalid operation: int\((\S+)\)$`)
	reMapIndex = regexp.MustCompile(`^reflect\.Value\.MapIndex: value of type (\S+) is not assignable to type string$`)
)

// readProblem rewrites msg, the first line of an evaluation's error
// without its position, when it is a read at rune offset from of src of a
// field or an item the value does not have. ok is false for any other
// error.
func readProblem(msg, src string, from int) (string, bool) {
	chain := chainBefore(src, from)
	if chain == "" || from >= len([]rune(src)) {
		return "", false
	}
	if m := reFetch.FindStringSubmatch(msg); m != nil && typeWord(m[2]) != "null" {
		return chain + " is " + article(typeWord(m[2])) + ", not a map, so it has no field " + m[1] + "; type(" + chain + ") names what a value is", true
	}
	if m := reIndex.FindStringSubmatch(msg); m != nil && callAt(src, from) == "" {
		r := []rune(src)
		if r[from] == '[' {
			return chain + " is a list or a text, whose items are read by position, a whole number (" + chain + "[0]), not " + article(typeWord(m[1])), true
		}
		field := fieldAt(r, from)
		return chain + " is a list or a text, not a map, so it has no field " + field + "; read one item's, " + chain + "[0]." + field + ", or every item's, map(" + chain + ", ." + field + ")", true
	}
	if m := reMapIndex.FindStringSubmatch(msg); m != nil {
		return chain + " is a map, whose fields are read by a string, not " + article(typeWord(m[1])) + "; convert the key, " + chain + "[string(x)]", true
	}
	return "", false
}

// fieldAt returns the name at rune offset from of r, after the "?." or
// "." that may start there.
func fieldAt(r []rune, from int) string {
	s := strings.TrimPrefix(strings.TrimPrefix(string(r[from:]), "?"), ".")
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return s[:i]
}
