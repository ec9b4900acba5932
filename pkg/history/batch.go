package history

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Finished is a run to record whole, at its end.
type Finished struct {
	Report     *report.Report
	ReportPath string  // "" when no report file was written
	Trigger    Trigger // cli, schedule or api
	StartedBy  string  // who asked for it
}

// RecordFinished records several finished runs in one transaction, each as
// RecordFinish records one, with its trigger. It is for short runs that
// are recorded only when they end (no RecordStart, no RecordStep), such as
// the operations a server executes: one commit covers every run that ended
// meanwhile, and the statements are prepared once per Store. Either all
// are recorded or none.
func (s *Store) RecordFinished(ctx context.Context, runs []Finished) error {
	if len(runs) == 0 {
		return nil
	}
	run, step, err := s.batch.get(ctx, s.db)
	if err != nil {
		return fmt.Errorf("history: record %d runs: %w", len(runs), err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: record %d runs: %w", len(runs), err)
	}
	defer tx.Rollback()
	fs := &finishStmts{run: tx.StmtContext(ctx, run), step: tx.StmtContext(ctx, step)}
	defer fs.close()
	for _, f := range runs {
		if err := fs.record(ctx, f.Report, f.ReportPath, f.Trigger, f.StartedBy); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: record %d runs: %w", len(runs), err)
	}
	return nil
}

// batchStmts are RecordFinished's statements, prepared on first use; a
// transaction reuses them on its connection.
type batchStmts struct {
	mu        sync.Mutex
	run, step *sql.Stmt
}

func (b *batchStmts) get(ctx context.Context, db *sql.DB) (run, step *sql.Stmt, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.run == nil {
		if b.run, err = db.PrepareContext(ctx, upsertFinished); err != nil {
			return nil, nil, err
		}
		if b.step, err = db.PrepareContext(ctx, insertStep); err != nil {
			b.run.Close()
			b.run = nil
			return nil, nil, err
		}
	}
	return b.run, b.step, nil
}

func (b *batchStmts) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.run != nil {
		b.run.Close()
		b.step.Close()
		b.run, b.step = nil, nil
	}
}
