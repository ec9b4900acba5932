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
// after a host:port masks a little more than the password. s is returned
// as it is when nothing is masked.
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
