package history

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Finished is a run to record whole, at its end.
type Finished struct {
	Report     *report.Report
	ReportPath string  // "" when no report file was written
	Trigger    Trigger // cli, schedule or api
	StartedBy  string  // who asked for it
	// Slot is the time a scheduled run was scheduled for, before jitter:
	// a scheduled run that could not start is recorded with its slot, so
	// that the slot is known to have had its run. Zero: none, or the one
	// recorded at the start.
	Slot time.Time
	// PlaybookPath is the playbook's absolute path, when the caller has
	// it (steps.Playbook.AbsPath); "" takes the report's, made absolute.
	// The report keeps the path as it was given.
	PlaybookPath string
}

// RecordFinished records several finished runs in one transaction, each as
// RecordFinish records one, with its trigger. It is for short runs that
// are recorded only when they end (no RecordStart, no RecordStep), such as
// the operations a server executes: one commit covers every run that ended
// meanwhile. Either all are recorded or none.
func (s *Store) RecordFinished(ctx context.Context, runs []Finished) (err error) {
	defer func() { err = s.fullError(err) }()
	if len(runs) == 0 {
		return nil
	}
	tx, err := s.beginBatch(ctx)
	if err != nil {
		return fmt.Errorf("history: record %d runs: %w", len(runs), err)
	}
	defer tx.Rollback()
	// The runs' rows, then all their step rows, each in as few
	// statements as they fill. Their values are built in two slices, the
	// values that repeat from one run to the next boxed once.
	var b boxes
	runRows := make([]any, 0, len(runs)*finishedRowValues)
	steps := make([]any, 0, len(runs)*stepValues)
	for _, f := range runs {
		runRows, err = appendFinishedRow(runRows, f, &b)
		if err != nil {
			return fmt.Errorf("history: record finish of %s: %w", f.Report.RunID, err)
		}
		steps = appendStepRows(steps, f.Report, &b)
	}
	if err := s.writeFinishedRows(ctx, tx, runRows); err != nil {
		return fmt.Errorf("history: record %d runs: %w", len(runs), err)
	}
	if err := s.insertSteps(ctx, tx, steps); err != nil {
		return fmt.Errorf("history: record %d runs: %w", len(runs), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: record %d runs: %w", len(runs), err)
	}
	return nil
}

// stmtCache holds the statements of the write path of every run, prepared
// once per Store: SQLite parses a statement's text on every prepare, which
// cost more than the inserts themselves. database/sql prepares each again
// on a connection the first time it is used there, and a transaction
// reuses the connection's copy (Tx.StmtContext).
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepared returns the statement of query, preparing it on first use.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// inTx returns the statement of query for use in tx.
func (s *Store) inTx(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st), nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}
