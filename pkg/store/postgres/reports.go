package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// ReadReport returns the JSON of a run's report: the copy kept in the
// database, else the file its row names, looked for in the report folder
// as history.ReadReportFile does (a missing file is ErrNotFound).
func (s *Store) ReadReport(ctx context.Context, runID string) ([]byte, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM reports WHERE run_id = $1`, runID).Scan(&body)
	if err == nil {
		return body, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, s.wrap("report of "+runID, err)
	}
	run, err := s.Get(ctx, runID)
	if err != nil {
		return nil, err
	}
	if run.ReportPath == "" {
		return nil, fmt.Errorf("%w: run %s has no recorded report", history.ErrNotFound, runID)
	}
	return history.ReadReportFile(s.Reports(), runID, run.ReportPath)
}

// ReportKey returns the report signing key every process on the database
// shares, made by whichever asks first.
func (s *Store) ReportKey(ctx context.Context) ([]byte, error) {
	return s.sharedKey(ctx, "report_key", "report key")
}

// QueueKey returns the key that seals the inputs of queued runs (see
// pkg/queue), shared by every process on the database.
func (s *Store) QueueKey(ctx context.Context) ([]byte, error) {
	return s.sharedKey(ctx, "queue_key", "queue key")
}

// keyLen is the size of a new shared key.
const keyLen = 32

// sharedKey returns the secret key kept in settings under name, making it
// with 32 random bytes when it is not there: of several processes asking
// at once, one insert wins and every one of them gets its key.
func (s *Store) sharedKey(ctx context.Context, name, what string) ([]byte, error) {
	fresh := make([]byte, keyLen)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var key []byte
	var err error
	// A process whose insert lost to one that committed after this
	// statement's snapshot was taken gets no row: the next statement sees
	// the winner's key.
	for range 3 {
		err = s.pool.QueryRow(ctx, `WITH ins AS (INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
			SELECT value FROM ins UNION ALL SELECT value FROM settings WHERE name = $1 LIMIT 1`, name, fresh).Scan(&key)
		if !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return nil, s.wrap(what, err)
	}
	return key, nil
}
