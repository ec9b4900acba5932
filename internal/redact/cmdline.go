package redact

import "strings"

// URLPasswords returns s, a command line as the system shows it, with the
// password in the user info of every URL in it (scheme://user:PASSWORD@host)
// masked. Such a URL on a command line (arsenal-run's own --state, a
// client's database URL) carries a credential that the process listings
// would otherwise hand to whoever may list processes: the state database's
// password lets its reader sign console sessions. A URL ends at white
// space, and its user info at its last @, so that a password holding a
// / or an @ that its program reads is masked whole; a path holding an @
// after a host:port masks a little more than the password. A user info
// with no password that is itself a token (git clone
// https://ghp_...@github.com/o/r: tokenUser) is masked whole. s is
// returned as it is when nothing is masked.
//
// It is not URLString applied to each word: URLString parses one URL, so
// it re-encodes it and masks credential-looking query values as well,
// and a password holding a / or a ? does not parse as one, while a
// command line must keep every other byte as the program was given it.
func URLPasswords(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	masked := false
	rest := s
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			break
		}
		i += len("://")
		end := strings.IndexAny(rest[i:], " \t\n")
		if end < 0 {
			end = len(rest) - i
		}
		token := rest[i : i+end]
		at := strings.LastIndexByte(token, '@')
		colon := -1
		if at > 0 {
			colon = strings.IndexByte(token[:at], ':')
		}
		if colon < 0 && at > 0 && tokenUser(token[:at]) {
			b.WriteString(rest[:i])
			b.WriteString(Mask)
			rest = rest[i+at:]
			masked = true
			continue
		}
		if colon < 0 || colon+1 == at {
			b.WriteString(rest[:i])
			rest = rest[i:]
			continue
		}
		b.WriteString(rest[:i])
		b.WriteString(token[:colon+1])
		b.WriteString(Mask)
		rest = rest[i+at:]
		masked = true
	}
	if !masked {
		return s
	}
	b.WriteString(rest)
	return b.String()
}

// tokenPrefixes begin the tokens that a URL carries as its user name
// alone: GitHub's, GitLab's, Hugging Face's, npm's.
var tokenPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "hf_", "npm_"}

// tokenUser tells a URL's user name that is a token rather than a name:
// one that begins as a known token does, or 40 or more letters, digits,
// _ and - with a digit among them (a user name is rarely so long).
func tokenUser(u string) bool {
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(u, p) && len(u) >= len(p)+16 {
			return true
		}
	}
	if len(u) < 40 {
		return false
	}
	digit := false
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case '0' <= c && c <= '9':
			digit = true
		case c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		default:
			return false
		}
	}
	return digit
}
