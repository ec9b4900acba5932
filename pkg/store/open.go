package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// Spec says which store to open: Dir for the SQLite store of a state dir,
// or URL for a PostgreSQL database. Exactly one is set.
type Spec struct {
	Dir string
	URL string
	// ReportDir is, for PostgreSQL, a shared folder for the reports; ""
	// keeps them in the database.
	ReportDir string
	// Lease is, for PostgreSQL, how long this process may go without a
	// heartbeat before it is taken for dead (0: postgres.DefaultLease).
	// It is recorded with each heartbeat, and the other processes judge
	// this one by it, whatever their own.
	Lease time.Duration
}

// IsURL reports whether s names a PostgreSQL database rather than a
// directory.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Mask returns a connection string with its password replaced by xxxxx;
// anything else is returned as it is.
func Mask(s string) string {
	if IsURL(s) || strings.Contains(strings.ToLower(s), "password") {
		return postgres.Mask(s)
	}
	return s
}

// Postgres reports whether the spec names a PostgreSQL database.
func (s Spec) Postgres() bool { return s.URL != "" }

// String names the store for messages: the state dir, or the database
// with its password masked.
func (s Spec) String() string {
	if s.URL != "" {
		return postgres.Mask(s.URL)
	}
	return s.Dir
}

// Open opens the store the spec names, creating or migrating its schema.
// It does not mark runs interrupted; the caller decides when.
func Open(ctx context.Context, spec Spec) (Store, error) {
	switch {
	case spec.URL != "" && spec.Dir != "":
		return nil, errors.New("store: give a state dir or a database, not both")
	case spec.URL != "":
		if spec.ReportDir != "" {
			// Every replica serves the reports it finds there: no step
			// writes (or reads) them, whatever its roles' file_roots.
			fsroot.Protect(spec.ReportDir, "report dir")
		}
		// The files the driver reads the database's password or client
		// key from: the database holds the key that signs sessions.
		var ps []fsroot.Protection
		for _, f := range postgres.DefaultCredentialFiles(spec.URL) {
			ps = append(ps, fsroot.Protection{Path: f.Path, What: f.What})
		}
		fsroot.ProtectAll(ps)
		pg, err := postgres.Open(ctx, postgres.Config{URL: spec.URL, ReportDir: spec.ReportDir, Lease: spec.Lease})
		if err != nil {
			return nil, err
		}
		return pg, nil
	case spec.Dir != "":
		h, err := history.Open(spec.Dir)
		if err != nil {
			return nil, err
		}
		return h, nil
	}
	return nil, errors.New("store: neither a state dir nor a database was given")
}
