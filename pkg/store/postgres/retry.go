package postgres

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// writeRetryFor is how long a write that failed because the database
// went away (a restart, a failover, a network blip) is tried again before
// its error is returned: a run that ends while the database restarts is
// still recorded once it is back.
const writeRetryFor = 60 * time.Second

// retryable reports whether err means the database could not be reached
// or dropped the connection, rather than refused the statement.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exception; 57P01-03: shutting down or starting
		// up; 40001, 40P01: serialization failure, deadlock.
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || c == "57P01" || c == "57P02" || c == "57P03" || c == "40001" || c == "40P01"
	}
	// A file system error is never the database being away (a report
	// file a run's row names may be missing, or a directory): answering
	// it with "try again shortly" would have a client retry for ever.
	var pathErr *fs.PathError
	var linkErr *os.LinkError
	if errors.As(err, &pathErr) || errors.As(err, &linkErr) {
		return false
	}
	var connectErr *pgconn.ConnectError
	return pgconn.SafeToRetry(err) || errors.As(err, &connectErr) || isNetError(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// isNetError reports whether err is a network error: a failed dial, read
// or write, a timeout. A bare syscall.Errno is a net.Error too (it has
// Timeout and Temporary), whatever the system call, so it does not count
// here: the errnos of a dropped connection are named in retryable.
func isNetError(err error) bool {
	var netErr net.Error
	if !errors.As(err, &netErr) {
		return false
	}
	_, errno := netErr.(syscall.Errno)
	return !errno
}

// Unreachable reports whether err means that the database could not be
// reached, or dropped the connection, or is shutting down or starting up:
// an outage, which a caller may answer with "try again later", not a
// statement the database refused.
func Unreachable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || c == "57P01" || c == "57P02" || c == "57P03"
	}
	return retryable(err)
}

// PermissionDenied reports whether err is the database refusing a
// statement for the role's lack of a privilege (SQLSTATE 42501), as a
// migration is refused to a role that may not create tables.
func PermissionDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}

// retry runs an idempotent write, again after a pause while it fails
// because the database is away, for at most writeRetryFor.
func (s *Store) retry(ctx context.Context, f func() error) error {
	return s.RetryFor(ctx, writeRetryFor, f)
}

// RetryFor runs f, an idempotent statement, again after a pause while it
// fails because the database is away or cut the connection (as every
// pooled connection is, once, after a restart), for at most d.
func (s *Store) RetryFor(ctx context.Context, d time.Duration, f func() error) error {
	delay := 50 * time.Millisecond
	deadline := time.Now().Add(d)
	for {
		err := f()
		if !retryable(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(delay*2, 2*time.Second)
	}
}
