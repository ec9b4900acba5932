package redact

import "strings"

// shellForms are the forms a shell prints a secret in when it quotes it:
// inside single quotes, with each quote of the secret closing the quoted
// text, then an escaped quote, then opening it again, as bash's set -x
// trace writes it, or the escaped quote written "'" as Python's
// shlex.quote does; and with each sign a shell reads escaped with a
// backslash, as bash's printf %q writes it. A secret without such signs
// is printed as it is, which the secret's own text masks.
func shellForms(s string) []string {
	var out []string
	if strings.Contains(s, "'") {
		out = append(out, strings.ReplaceAll(s, "'", `'\''`), strings.ReplaceAll(s, "'", `'"'"'`))
	}
	if strings.ContainsAny(s, shellSigns) && !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if strings.IndexByte(shellSigns, s[i]) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		out = append(out, b.String())
	}
	return out
}

// shellSigns are the bytes bash's printf %q escapes with a backslash
// anywhere in a word (~ and # only at its start, which masking the rest
// covers).
const shellSigns = " '\"\\`$|&;()<>!{}[]*?^,"
