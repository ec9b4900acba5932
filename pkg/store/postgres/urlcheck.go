package postgres

import (
	"fmt"
	"strings"
)

// unescapedAt refuses a URL whose user name or password holds an '@'
// not written %40. PostgreSQL's drivers (libpq, pgx) end the user info at
// the first '@' before the first '/', whatever comes between ('?' and '#'
// too), where Mask (as a browser) ends it at the last: the rest of the
// password would be taken for the host and shown in the errors, and the
// server would be sent the password's beginning. The error shows neither.
func unescapedAt(dsn string) error {
	rest, ok := strings.CutPrefix(dsn, "postgres://")
	if !ok {
		if rest, ok = strings.CutPrefix(dsn, "postgresql://"); !ok {
			return nil
		}
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if strings.Count(rest, "@") < 2 {
		return nil
	}
	return fmt.Errorf("%s: not a PostgreSQL connection string: its user name or password holds an '@'; write each '@' in them as %%40 (postgres://user:pass%%40word@host/db)", Mask(dsn))
}

// parseError is the error of a connection string the driver could not
// parse. The driver's text quotes the string with the password masked as
// best it can, which a password holding a '/' defeats: the driver reads
// the user info only up to a '/', so the end of such a password is
// shown. Its quote is left out (Mask's form of dsn is given instead), and
// a URL with an '@' past its first '/' is told how to write the '/'.
func parseError(dsn string, err error) error {
	msg := redact(err, dsn).Error()
	if i := strings.LastIndex(msg, "`: "); strings.HasPrefix(msg, "cannot parse `") && i >= 0 {
		msg = msg[i+len("`: "):]
	}
	hint := ""
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		if rest, ok := strings.CutPrefix(dsn, scheme); ok {
			if i := strings.IndexByte(rest, '/'); i >= 0 && !strings.Contains(rest[:i], "@") && strings.Contains(rest[i:], "@") {
				hint = "; if the user name or password holds a '/', write it as %2F (and '@' as %40, '%' as %25)"
			}
		}
	}
	switch {
	case hint != "":
	case strings.Contains(msg, "invalid port"):
		hint = "; give the port after the host as a number from 1 to 65535 (postgres://USER@HOST:5432/DB), or leave it out for 5432"
	case strings.Contains(msg, "sslmode is invalid"):
		hint = "; give sslmode one of disable, allow, prefer, require, verify-ca or verify-full"
	default:
		hint = "; write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAM=VALUE&...] (see docs/ha.md)"
	}
	return fmt.Errorf("%s: not a PostgreSQL connection string: %s%s", Mask(dsn), msg, hint)
}
