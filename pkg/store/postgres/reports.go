package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// ReadReport returns the JSON of a run's report: the copy kept in the
// database, else the file its row names.
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
	return fsx.ReadFile(run.ReportPath, report.MaxReadSize)
}

// reportKeyLen is the size of a new report key.
const reportKeyLen = 32

// ReportKey returns the report signing key every process on the database
// shares, made by whichever asks first.
func (s *Store) ReportKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, reportKeyLen)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("report key: %w", err)
	}
	var key []byte
	err := s.pool.QueryRow(ctx, `WITH ins AS (INSERT INTO settings (name, value) VALUES ('report_key', $1) ON CONFLICT (name) DO NOTHING RETURNING value)
		SELECT value FROM ins UNION ALL SELECT value FROM settings WHERE name = 'report_key' LIMIT 1`, fresh).Scan(&key)
	if err != nil {
		return nil, s.wrap("report key", err)
	}
	return key, nil
}
