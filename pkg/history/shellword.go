package history

import (
	"regexp"
	"strings"
)

// plainWord is a shell word that needs no quotes.
var plainWord = regexp.MustCompile(`^[A-Za-z0-9@%+=:,./_-]+$`)

// shellWord returns s as one word of a POSIX shell, quoted only when it
// must be: a path in a command the user is told to run (chmod u+w PATH)
// is pasted whole, spaces and all.
func shellWord(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
