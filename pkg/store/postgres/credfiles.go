package postgres

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// CredentialFile is a file the PostgreSQL driver may read the database's
// credentials from, with what it is for messages.
type CredentialFile struct{ Path, What string }

// credentialParams are the connection settings that name such files, with
// the variable that sets each when the connection string does not, and
// what the file is. A password file or a service file holds the password;
// a client key logs in without one.
var credentialParams = []struct{ param, env, what string }{
	{"passfile", "PGPASSFILE", "PostgreSQL password file"},
	{"servicefile", "PGSERVICEFILE", "PostgreSQL service file"},
	{"sslkey", "PGSSLKEY", "PostgreSQL client key"},
}

// CredentialFiles returns the files that the driver may read credentials
// from for the connection string dsn (a URL, or key=value pairs): those
// the string or the PG* variables (getenv) name, and the driver's defaults
// in home (~/.pgpass, ~/.pg_service.conf and ~/.postgresql, which holds
// the client key). Whoever reads one can connect to the database, which
// holds the key that signs console sessions, and so sign themselves an
// admin's: no file operation may touch them. All are listed, whichever
// the driver picks, as none of them is any step's business.
func CredentialFiles(dsn string, getenv func(string) string, home string) []CredentialFile {
	given := dsnSettings(dsn)
	var out []CredentialFile
	for _, c := range credentialParams {
		for _, p := range []string{given[c.param], getenv(c.env)} {
			if p != "" {
				out = append(out, CredentialFile{p, c.what})
			}
		}
	}
	if home != "" {
		out = append(out,
			CredentialFile{filepath.Join(home, ".pgpass"), "PostgreSQL password file"},
			CredentialFile{filepath.Join(home, ".pg_service.conf"), "PostgreSQL service file"},
			CredentialFile{filepath.Join(home, ".postgresql"), "PostgreSQL client key directory"})
	}
	return out
}

// dsnSettings reads the settings of a connection string: the query of a
// postgres:// URL, or the key=value pairs of the other form. It is
// lenient: a string the driver refuses names no file anyway.
func dsnSettings(dsn string) map[string]string {
	out := map[string]string{}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			for k, v := range u.Query() {
				if len(v) > 0 {
					out[k] = v[len(v)-1]
				}
			}
		}
		return out
	}
	for _, f := range strings.Fields(dsn) {
		if k, v, ok := strings.Cut(f, "="); ok {
			out[k] = strings.Trim(v, "'")
		}
	}
	return out
}

// homeDir is the home directory whose files the driver reads by default,
// "" when there is none.
func homeDir() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return h
}

// DefaultCredentialFiles is CredentialFiles with the process's
// environment and home directory.
func DefaultCredentialFiles(dsn string) []CredentialFile {
	return CredentialFiles(dsn, os.Getenv, homeDir())
}
