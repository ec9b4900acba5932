package ops

// Advice for a value a parameter refuses: what was probably meant.

// ModeHint is the TypeHint of a file mode parameter, a string of octal
// digits: unquoted, 0644 is YAML's octal number 420.
const ModeHint = `quote the mode, like "0644": unquoted, YAML reads 0644 as the number 420`

// ShellSyntax returns the first piece of shell syntax in s (a pipe, a
// separator, a redirection, a quote, a substitution), or "" when s holds
// plain words only, which a list of words would run the same.
func ShellSyntax(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '|', ';', '&', '>', '<', '`', '\'', '"', '\\':
			if i+1 < len(s) && (c == '|' || c == '&' || c == '>') && s[i+1] == c {
				return s[i : i+2]
			}
			return string(c)
		case '$':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j > i+1 {
				return s[i:j]
			}
			if j < len(s) && (s[j] == '(' || s[j] == '{') {
				return s[i : j+1]
			}
		case '*', '~':
			return string(c)
		}
	}
	return ""
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
