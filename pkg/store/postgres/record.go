package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The statements that record runs: the SQLite store's, with PostgreSQL's
// placeholders. The columns and their arguments come from pkg/history, so
// both stores write the same rows.
var (
	insertStep  = `INSERT INTO steps (` + history.StepColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`
	upsertStart = `INSERT INTO runs (` + history.StartColumns + `, inputs, dry_run)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (id) DO UPDATE SET playbook = excluded.playbook, path = excluded.path, sha256 = excluded.sha256,
			roles = excluded.roles, status = excluded.status, started_at = excluded.started_at, inputs = excluded.inputs,
			dry_run = excluded.dry_run,
			report_path = excluded.report_path, resumed_from = excluded.resumed_from, owner = excluded.owner,
			triggered_by = excluded.triggered_by, slot = excluded.slot, started_by = excluded.started_by,
			finished_at = NULL, duration_ms = NULL, error_class = '', error_message = ''`
	upsertFinished = `INSERT INTO runs (` + history.FinishedColumns + `, owner, dry_run)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, '', $18)
		ON CONFLICT (id) DO UPDATE SET playbook = excluded.playbook,
			path = CASE WHEN excluded.path != '' THEN excluded.path ELSE runs.path END,
			sha256 = CASE WHEN excluded.path != '' THEN excluded.sha256 ELSE runs.sha256 END,
			roles = excluded.roles, status = excluded.status, started_at = excluded.started_at, dry_run = excluded.dry_run,
			finished_at = excluded.finished_at, duration_ms = excluded.duration_ms, inputs = excluded.inputs,
			report_path = excluded.report_path, error_class = excluded.error_class,
			error_message = excluded.error_message, resumed_from = excluded.resumed_from, owner = '',
			triggered_by = CASE WHEN excluded.triggered_by != '' THEN excluded.triggered_by ELSE runs.triggered_by END,
			started_by = CASE WHEN excluded.started_by != '' THEN excluded.started_by ELSE runs.started_by END,
			slot = COALESCE(excluded.slot, runs.slot)`
)

// RecordStart records that a run started, owned by this Store; see
// history.Store.RecordStart. Unlike the SQLite store, it keeps run.Inputs
// with the start (both keep run.DryRun), so that every replica shows the
// inputs of a run that one of them runs: they must be masked as the run's
// report masks them (the run service gives them so), since the row keeps
// them as given.
func (s *Store) RecordStart(ctx context.Context, run history.Run) error {
	started := run.StartedAt
	if started.IsZero() {
		started = s.now()
	}
	args, err := history.StartArgs(run, s.owner, ms(started))
	if err != nil {
		return err
	}
	args = append(args, history.InputsArg(run.Inputs), run.DryRun)
	if err := s.retry(ctx, func() error { _, err := s.pool.Exec(ctx, upsertStart, args...); return err }); err != nil {
		return s.wrap("record start of "+run.ID, err)
	}
	return nil
}

// RecordStep records one finished step or item of a running run.
func (s *Store) RecordStep(ctx context.Context, runID string, res history.StepResult) error {
	if _, err := s.pool.Exec(ctx, insertStep, history.StepArgs(runID, res)...); err != nil {
		return s.wrap(fmt.Sprintf("record step %s of %s", res.StepID, runID), err)
	}
	return nil
}

// RecordSteps records several finished steps or items in one transaction.
func (s *Store) RecordSteps(ctx context.Context, runID string, rows []history.StepResult) error {
	if len(rows) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, res := range rows {
		b.Queue(insertStep, history.StepArgs(runID, res)...)
	}
	if err := s.sendTx(ctx, b); err != nil {
		return s.wrap("record steps of "+runID, err)
	}
	return nil
}

// sendTx runs a batch as one transaction; see retry for what is tried
// again. Every batch sent so is idempotent: run rows are upserted, and a
// run's step rows replaced, except RecordSteps', whose rows RecordFinish
// replaces in the end.
//
// Each attempt sends a copy of b: pgx keeps, in a queued statement, the
// prepared statement it used on the connection that sent it, and a batch
// sent again on another connection (the database restarted meanwhile)
// would name a statement that connection never prepared.
func (s *Store) sendTx(ctx context.Context, b *pgx.Batch) error {
	return s.retry(ctx, func() error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			return tx.SendBatch(ctx, fresh(b)).Close()
		})
	})
}

// fresh returns a batch of the statements queued in b, as never sent.
func fresh(b *pgx.Batch) *pgx.Batch {
	c := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, len(b.QueuedQueries))}
	for i, q := range b.QueuedQueries {
		c.QueuedQueries[i] = &pgx.QueuedQuery{SQL: q.SQL, Arguments: q.Arguments, Fn: q.Fn}
	}
	return c
}

// RecordFinish records the end of a run from its report in one
// transaction. Without a report folder (Reports() == ""), the report
// itself is kept too, and reportPath is ignored. playbookPath is as
// history.Store.RecordFinish takes it.
func (s *Store) RecordFinish(ctx context.Context, r *report.Report, reportPath, playbookPath string) error {
	b := &pgx.Batch{}
	f := history.Finished{Report: r, ReportPath: reportPath, PlaybookPath: playbookPath}
	if err := s.queueFinished(b, f, s.cfg.ReportDir == ""); err != nil {
		return err
	}
	if err := s.sendTx(ctx, b); err != nil {
		return s.wrap("record finish of "+r.RunID, err)
	}
	return nil
}

// queueFinished queues the statements that record one finished run: its
// row (with the report's dry_run), its step rows instead of the live
// ones, and with keep its report.
func (s *Store) queueFinished(b *pgx.Batch, f history.Finished, keep bool) error {
	r := f.Report
	if keep {
		f.ReportPath = ""
	}
	args, err := history.FinishedArgs(f)
	if err != nil {
		return err
	}
	b.Queue(upsertFinished, append(args, r.DryRun)...)
	b.Queue(`DELETE FROM steps WHERE run_id = $1`, r.RunID)
	for _, row := range history.ReportStepArgs(r) {
		b.Queue(insertStep, row...)
	}
	if keep {
		body, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("postgres: record report of %s: %w", r.RunID, err)
		}
		b.Queue(`INSERT INTO reports (run_id, body) VALUES ($1, $2) ON CONFLICT (run_id) DO UPDATE SET body = excluded.body`, r.RunID, body)
	}
	return nil
}

// RecordFinished records several finished runs in one transaction, each
// with its trigger; their reports are not kept (see history.Store).
func (s *Store) RecordFinished(ctx context.Context, runs []history.Finished) error {
	if len(runs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, f := range runs {
		if err := s.queueFinished(b, f, false); err != nil {
			return err
		}
	}
	if err := s.sendTx(ctx, b); err != nil {
		return s.wrap(fmt.Sprintf("record %d runs", len(runs)), err)
	}
	return nil
}

// RecordNeverRan records the end of a queued run that never started, and
// keeps its report in the database, with or without a report folder: no
// report file is written for such a run, and every replica answers with
// the report the one that ended it wrote.
func (s *Store) RecordNeverRan(ctx context.Context, f history.Finished) error {
	b := &pgx.Batch{}
	if err := s.queueFinished(b, f, true); err != nil {
		return err
	}
	if err := s.sendTx(ctx, b); err != nil {
		return s.wrap("record the end of "+f.Report.RunID, err)
	}
	return nil
}

// InterruptedMessage is the error message of a run whose process stopped
// sending heartbeats.
const InterruptedMessage = "interrupted: the arsenal-run process recording this run ended, or lost the database for longer than its lease, before the run finished"

// MarkInterrupted marks as interrupted every running run whose owner is
// not alive: its owner row is gone (closed) or its heartbeat is older than
// the lease that owner recorded (see Alive). This Store's own runs are
// left alone. It returns how many it
// marked, and forgets the owners that are dead.
func (s *Store) MarkInterrupted(ctx context.Context) (int, error) {
	runs, err := s.InterruptDead(ctx)
	return len(runs), err
}

// MarkInterruptedIDs is MarkInterrupted, returning the ids of the runs it
// marked, sorted, for a start-up line that names them.
func (s *Store) MarkInterruptedIDs(ctx context.Context) ([]string, error) {
	runs, err := s.InterruptDead(ctx)
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	slices.Sort(ids)
	return ids, err
}

// Interrupted is a run that InterruptDead marked interrupted.
type Interrupted struct {
	ID, Playbook string
	Trigger      history.Trigger
}

// InterruptDead is MarkInterrupted, returning the runs it marked. Right
// after this Store lost the database (a restart), it marks nothing for a
// lease: the others' heartbeats stopped for the same reason, and they
// resume.
func (s *Store) InterruptDead(ctx context.Context) ([]Interrupted, error) {
	if !s.Settled() {
		return nil, nil
	}
	lease, back := s.Judge()
	var out []Interrupted
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, `UPDATE runs SET status = $1,
				finished_at = COALESCE((SELECT MAX(started_at + duration_ms) FROM steps WHERE steps.run_id = runs.id), started_at),
				duration_ms = COALESCE((SELECT MAX(started_at + duration_ms) FROM steps WHERE steps.run_id = runs.id), started_at) - started_at,
				error_class = 'system', error_message = $2
			WHERE status = $3 AND owner != $4 AND NOT `+Alive("runs.owner", "$5", "$6")+`
			RETURNING id, playbook, triggered_by`,
			string(history.StatusInterrupted), InterruptedMessage, string(history.StatusRunning), s.owner, lease, back)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r Interrupted
			var trig string
			if err := rows.Scan(&r.ID, &r.Playbook, &trig); err != nil {
				rows.Close()
				return err
			}
			r.Trigger = history.Trigger(trig)
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM owners o WHERE o.owner != $1 AND NOT `+beating("$2", "$3"), s.owner, lease, back)
		return err
	})
	if err != nil {
		if retryable(err) {
			s.lost()
		}
		return nil, s.wrap("mark interrupted", err)
	}
	return out, nil
}
