package history

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// RecordSteps records several finished steps or items of a running run in
// one transaction; see RecordStep.
func (s *Store) RecordSteps(ctx context.Context, runID string, rows []StepResult) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("history: record steps of %s: %w", runID, err)
	}
	defer tx.Rollback()
	args := make([]any, 0, len(rows)*stepValues)
	for _, res := range rows {
		args = appendStepArgs(args, runID, res)
	}
	if err := s.insertSteps(ctx, tx, args); err != nil {
		return fmt.Errorf("history: record steps of %s: %w", runID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: record steps of %s: %w", runID, err)
	}
	return nil
}

// StepRow is a step, item or attempt row of a run, as recorded.
type StepRow struct {
	StepID     string        `json:"id"`
	Section    string        `json:"section"`
	Kind       string        `json:"kind"` // step, item, attempt or omitted (KindOmitted)
	Item       *int          `json:"item,omitempty"`
	Attempt    int           `json:"attempts"`
	Op         string        `json:"op"`
	Status     report.Status `json:"status"`
	ErrorClass string        `json:"error_class,omitempty"`
	StartedAt  *time.Time    `json:"started_at,omitempty"`
	DurationMS int64         `json:"duration_ms"`
	// Ignored: the step failed and its continue_on_error let the run go
	// on; it did not fail the run.
	Ignored bool `json:"ignored,omitempty"`
}

// Nested reports whether the row is of a step of a sub-playbook, named by
// its path from the top-level playbook.run step ("call/say"; see
// stepRows): a step id has no "/".
func (r StepRow) Nested() bool { return strings.Contains(r.StepID, "/") }

// Steps returns the rows recorded for a run in the order they were
// written: while it runs, each step and item as it finished; once it
// finished, the rows of its report.
func (s *Store) Steps(ctx context.Context, runID string) ([]StepRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT step_id, section, kind, item, attempt, op, status, error_class, started_at, duration_ms, ignored
		FROM steps WHERE run_id = ? ORDER BY rowid`, runID)
	if err != nil {
		return nil, fmt.Errorf("history: steps of %s: %w", runID, err)
	}
	defer rows.Close()
	var out []StepRow
	for rows.Next() {
		var r StepRow
		var item, started sql.NullInt64
		if err := rows.Scan(&r.StepID, &r.Section, &r.Kind, &item, &r.Attempt, &r.Op, &r.Status, &r.ErrorClass, &started, &r.DurationMS, &r.Ignored); err != nil {
			return nil, fmt.Errorf("history: steps of %s: %w", runID, err)
		}
		if item.Valid {
			i := int(item.Int64)
			r.Item = &i
		}
		if started.Valid {
			t := fromMS(started.Int64)
			r.StartedAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
