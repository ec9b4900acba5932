package history

import (
	"context"
	"fmt"
)

// RecordSteps records several finished steps or items of a running run in
// one transaction; see RecordStep.
func (s *Store) RecordSteps(ctx context.Context, runID string, rows []StepResult) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: record steps of %s: %w", runID, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, insertStep)
	if err != nil {
		return fmt.Errorf("history: record steps of %s: %w", runID, err)
	}
	defer stmt.Close()
	for _, res := range rows {
		if _, err := stmt.ExecContext(ctx, stepArgs(runID, res)...); err != nil {
			return fmt.Errorf("history: record step %s of %s: %w", res.StepID, runID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: record steps of %s: %w", runID, err)
	}
	return nil
}
