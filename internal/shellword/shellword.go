// Package shellword writes a string as one word of a POSIX shell, for the
// commands that errors and hints tell a user to run: a path pasted from
// them must reach the command whole, spaces and quotes and all.
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
