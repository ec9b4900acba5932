// Package shellword writes a string as one word of a POSIX shell, for the
// commands that errors and hints tell a user to run: a path pasted from
// them must reach the command whole, spaces and quotes and all; and reads
// the words that name and set a shell variable, NAME and NAME=value.
package shellword

import (
	"regexp"
	"strings"
)

// plain is a shell word that needs no quotes.
var plain = regexp.MustCompile(`^[A-Za-z0-9@%+=:,./_-]+$`)

// Word returns s as one word of a POSIX shell, quoted only when it must
// be: in single quotes, a single quote of s written '\”.
func Word(s string) string {
	if plain.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// NamePattern is the form of a name sh can set and export, as a regular
// expression: a letter or _, then letters, digits and _. IsName tells the
// same without one.
const NamePattern = `^[A-Za-z_][A-Za-z0-9_]*$`

// IsName reports whether s is a name sh can set and export: a letter or
// _, then letters, digits and _ (NamePattern).
func IsName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// IsAssignment reports whether word is NAME=value as sh reads it before a
// command's program, which sets a variable for it: NAME is an IsName; the
// value may hold a / (PATH=/usr/bin), the name may not (/opt/a=b/run is a
// program).
func IsAssignment(word string) bool {
	name, _, ok := strings.Cut(word, "=")
	return ok && IsName(name)
}
