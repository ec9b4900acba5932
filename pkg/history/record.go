package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Run is one run as the history lists it. Status is a report status, or
// StatusRunning until the run is recorded as finished, or StatusInterrupted
// when its process ended first. FinishedAt is nil while it runs. Inputs and
// Error come from the masked report (in the PostgreSQL store, the inputs of
// a running run come from its start, masked the same way). DryRun comes
// from the start, then from the report at the end, so that a dry run shows
// as one while it runs, to other processes too; rows written before the
// history kept it (schema version 8 here, 4 in the PostgreSQL store) read
// false, and their reports tell it.
type Run struct {
	ID          string         `json:"id"`
	Playbook    string         `json:"playbook"`
	Path        string         `json:"path"`
	SHA256      string         `json:"sha256"`
	Roles       []string       `json:"roles"`
	Status      report.Status  `json:"status"`
	StartedAt   time.Time      `json:"started_at"`
	FinishedAt  *time.Time     `json:"finished_at,omitempty"`
	DurationMS  int64          `json:"duration_ms"`
	Inputs      map[string]any `json:"inputs,omitempty"`
	ReportPath  string         `json:"report_path,omitempty"`
	Error       *report.Error  `json:"error,omitempty"`
	ResumedFrom string         `json:"resumed_from,omitempty"`
	Trigger     Trigger        `json:"trigger,omitempty"`    // "" is recorded as cli
	Slot        *time.Time     `json:"slot,omitempty"`       // scheduled runs: the slot, before jitter
	BlockedBy   string         `json:"blocked_by,omitempty"` // skipped slots: the run still running
	StartedBy   string         `json:"started_by,omitempty"` // who: a key's name, an OS user, "scheduler"; "" when not recorded
	DryRun      bool           `json:"dry_run,omitempty"`
}

// StepResult is one row recorded while a run goes on: a plain step or one
// fan-out item that finished, as the engine's events report them.
type StepResult struct {
	StepID   string
	Section  string // "steps", "on_failure" or "finally"; "" means "steps"
	Op       string
	Item     int // the item's index, or -1 for the step itself
	Attempts int
	// Items is, on a fan-out step's own row, its number of items: that
	// row totals theirs and is not an operation call.
	Items      int
	Status     report.Status
	ErrorClass string
	StartedAt  time.Time
	DurationMS int64
	// Ignored: the step failed and its continue_on_error let the run go
	// on (engine.Event.Ignored).
	Ignored bool
	// DryRun: the row is of a dry run, whose playbook.run steps are not
	// calls, as its report's rows are not (see stepRows).
	DryRun bool
}

// Limits on what one run row stores; the report has the rest.
const (
	maxInputsJSON   = 64 << 10
	maxErrorMessage = 4 << 10
)

// RecordStart records that a run started, with status running and this
// Store as its owner; run.StartedAt defaults to now and run.Trigger to cli.
// It keeps run.DryRun, so that the run shows as a dry run while it runs.
// It ignores run.Status, Inputs and Error: inputs enter this history only
// from the masked report, in RecordFinish, so unmasked secrets can never
// reach the database. (The PostgreSQL store keeps run.Inputs with the
// start, for the other replicas to show; the run service gives them
// masked as the report masks them.)
// Recording the same id again replaces the row. A relative ReportPath is
// stored absolute.
func (s *Store) RecordStart(ctx context.Context, run Run) (err error) {
	defer func() { err = s.fullError(err) }()
	started := run.StartedAt
	if started.IsZero() {
		started = s.now()
	}
	args, err := startRow(run, s.ownerArg, ms(started))
	if err != nil {
		return err
	}
	err = s.groupedWrite(ctx, &groupWrite{runID: run.ID, wake: make(chan bool, 1), do: func(ctx context.Context, tx *writeTx) error {
		_, err := execIn(ctx, tx, upsertStarted, args)
		return err
	}})
	if err != nil {
		return fmt.Errorf("history: record start of %s: %w", run.ID, err)
	}
	return nil
}

// QueueStart records that a run started, as RecordStart does, without
// waiting: the start goes in the next shared commit, and written waits
// for it and returns its error. When the run's end (RecordFinish) comes
// while the start still waits in the queue, the end takes its place, and
// the run's row is written once, finished: a short run costs one write
// instead of two. A caller that must have the start on disk before it
// goes on (before a step changes anything) calls written.
func (s *Store) QueueStart(run Run) (written func() error) {
	if run.StartedAt.IsZero() {
		run.StartedAt = s.now()
	}
	args, err := startRow(run, s.ownerArg, ms(run.StartedAt))
	if err != nil {
		return func() error { return err }
	}
	w := &groupWrite{wake: make(chan bool, 1), start: &run, runID: run.ID, do: func(ctx context.Context, tx *writeTx) error {
		_, err := execIn(ctx, tx, upsertStarted, args)
		return err
	}}
	// Queued here, so that the run's end, whenever it comes, is queued
	// after it.
	lead := s.enqueue(w)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.groupWait(context.Background(), w, lead); err != nil {
			w.err = s.fullError(fmt.Errorf("history: record start of %s: %w", run.ID, err))
		}
	}()
	return func() error {
		<-done
		return w.err
	}
}

// upsertStarted writes the row of a run that started: the values of
// startRow.
const upsertStarted = `INSERT INTO runs (` + StartColumns + `, dry_run)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET playbook = excluded.playbook, path = excluded.path, sha256 = excluded.sha256,
			roles = excluded.roles, status = excluded.status, started_at = excluded.started_at,
			report_path = excluded.report_path, resumed_from = excluded.resumed_from, owner = excluded.owner,
			triggered_by = excluded.triggered_by, slot = excluded.slot, started_by = excluded.started_by,
			dry_run = excluded.dry_run,
			finished_at = NULL, duration_ms = NULL, error_class = '', error_message = ''`

// startRow are the values of upsertStarted: StartArgs, then dry_run
// (see ScanRun).
func startRow(run Run, owner any, started int64) ([]any, error) {
	args, err := appendStart(make([]any, 0, startValues+1), run, owner, started)
	if err != nil {
		return nil, err
	}
	return append(args, run.DryRun), nil
}

// RecordStep records one finished step or item of a running run, so that a
// run whose process dies still shows how far it got. RecordFinish replaces
// these rows with the report's.
func (s *Store) RecordStep(ctx context.Context, runID string, res StepResult) error {
	return s.RecordSteps(ctx, runID, []StepResult{res})
}

// stepArgs are the values of one live step row. It is an operation call
// (what Stats counts) when it ran once and is not a fan-out step's total:
// the row of a step or item tried more than once sums its attempts and
// the waits between them, and its attempts become calls when the report
// replaces the live rows (stepRows).
func stepArgs(runID string, res StepResult) []any {
	return appendStepArgs(make([]any, 0, stepValues), runID, res)
}

// appendStepArgs appends stepArgs to dst.
func appendStepArgs(dst []any, runID string, res StepResult) []any {
	kind, item := "step", any(nil)
	if res.Item >= 0 {
		kind, item = "item", res.Item
	}
	section := res.Section
	if section == "" {
		section = "steps"
	}
	var started any
	call := 0
	if !res.StartedAt.IsZero() {
		started = ms(res.StartedAt)
		if res.Attempts == 1 && res.Items == 0 && (!res.DryRun || res.Op != "playbook.run") {
			call = 1
		}
	}
	return append(dst, runID, res.StepID, section, kind, item, res.Attempts, res.Op, string(res.Status), res.ErrorClass, started, res.DurationMS, call, nil, nil, nil,
		boolInt(res.Ignored && kind == "step"))
}

// RecordFinish records the end of a run from its report, in one
// transaction: it writes the run row (inserting it when RecordStart was not
// called) and replaces the run's step rows with one row per step, per
// fan-out item and, for retried steps and items, per attempt. A relative
// reportPath is stored absolute; playbookPath is the playbook's absolute
// path (Finished.PlaybookPath), or "" for the report's made absolute.
func (s *Store) RecordFinish(ctx context.Context, r *report.Report, reportPath, playbookPath string) (err error) {
	defer func() { err = s.fullError(err) }()
	var b boxes
	steps := appendStepRows(make([]any, 0, stepRowsHint(r)*stepValues), r, &b)
	f := Finished{Report: r, ReportPath: reportPath, PlaybookPath: playbookPath}
	start := s.takeStart(r.RunID)
	if start != nil {
		// Its start was still queued (QueueStart): this row is its
		// first, and carries what the start would have.
		f.Trigger, f.StartedBy = triggerOrCLI(start.Trigger), start.StartedBy
		if start.Slot != nil {
			f.Slot = *start.Slot
		}
	}
	row, err := finishedRow(f, &b)
	if err == nil {
		fin := &finishWrite{runID: r.RunID, row: row, steps: steps}
		err = s.groupedFinish(ctx, fin, func(ctx context.Context, tx *writeTx) error {
			if err := recordRunRow(ctx, tx, row, b.text(boxRunID, r.RunID)); err != nil {
				return err
			}
			return s.insertSteps(ctx, tx, steps)
		})
	}
	if err != nil {
		if start != nil {
			s.keepStart(start)
		}
		return fmt.Errorf("history: record finish of %s: %w", r.RunID, err)
	}
	return nil
}

// upsertFinished writes the row of a finished run, the values of
// finishedRow; upsertFinishedRows writes many, %s standing for their
// values (finishedRow's), and gives a new row the default owner, none.
//
// A row its start wrote (RecordStart, QueueStart) is updated only where
// the end agrees with it on the playbook, the start time and the trigger,
// and the update leaves those columns be: SQLite rewrites the entries of
// every index on a column an UPDATE sets, whether its value changes or
// not, and the entries of runs_playbook and runs_trigger would each be
// deleted and put back. A thousand playbooks' runs have their
// runs_playbook entries each in a page of its own, and rewriting one
// writes its page to the WAL again. A row that disagrees (a start
// recorded by an older release, or that a run which could not start
// moved) is left; the statement's count of rows changed then falls short
// and replaceFinished, or replaceFinishedRows, writes the runs again
// whole.
const (
	upsertFinished      = `INSERT INTO runs (` + FinishedColumns + `, dry_run, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')` + finishedKeep
	upsertFinishedRows  = `INSERT INTO runs (` + FinishedColumns + `, dry_run) VALUES %s` + finishedKeep
	replaceFinished     = `INSERT INTO runs (` + FinishedColumns + `, dry_run, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')` + finishedConflict
	replaceFinishedRows = `INSERT INTO runs (` + FinishedColumns + `, dry_run) VALUES %s` + finishedConflict
	finishedCommon      = `
			path = CASE WHEN excluded.path != '' THEN excluded.path ELSE runs.path END,
			sha256 = CASE WHEN excluded.path != '' THEN excluded.sha256 ELSE runs.sha256 END,
			roles = excluded.roles, status = excluded.status, dry_run = excluded.dry_run,
			finished_at = excluded.finished_at, duration_ms = excluded.duration_ms, inputs = excluded.inputs,
			report_path = excluded.report_path, error_class = excluded.error_class,
			error_message = excluded.error_message, resumed_from = excluded.resumed_from, owner = '',
			started_by = CASE WHEN excluded.started_by != '' THEN excluded.started_by ELSE runs.started_by END,
			slot = COALESCE(excluded.slot, runs.slot)`
	finishedKeep = `
		ON CONFLICT (id) DO UPDATE SET` + finishedCommon + `
		WHERE runs.playbook = excluded.playbook AND runs.started_at = excluded.started_at
			AND (excluded.triggered_by = '' OR runs.triggered_by = excluded.triggered_by)`
	finishedConflict = `
		ON CONFLICT (id) DO UPDATE SET playbook = excluded.playbook, started_at = excluded.started_at,
			triggered_by = CASE WHEN excluded.triggered_by != '' THEN excluded.triggered_by ELSE runs.triggered_by END,` + finishedCommon
)

// writeFinishedRows writes rows, the values of finishedRow of n runs,
// with upsertFinishedRows, and again with replaceFinishedRows when a row
// its start wrote disagreed with its end.
func (s *Store) writeFinishedRows(ctx context.Context, tx *writeTx, rows []any) error {
	changed, err := s.execRows(ctx, tx, upsertFinishedRows, finishedRowValues, rows)
	if err == nil && changed < int64(len(rows)/finishedRowValues) {
		_, err = s.execRows(ctx, tx, replaceFinishedRows, finishedRowValues, rows)
	}
	return err
}

// finishedRowValues is the number of values of finishedRow.
const finishedRowValues = finishedValues + 1

// finishedRow are the values of upsertFinished: FinishedArgs, then the
// report's dry_run.
func finishedRow(f Finished, b *boxes) ([]any, error) {
	return appendFinishedRow(make([]any, 0, finishedRowValues), f, b)
}

// appendFinishedRow appends finishedRow's values to dst, boxing those
// that repeat through b.
func appendFinishedRow(dst []any, f Finished, b *boxes) ([]any, error) {
	args, err := appendFinished(dst, f, b)
	if err != nil {
		return nil, err
	}
	return append(args, f.Report.DryRun), nil
}

const deleteSteps = `DELETE FROM steps WHERE run_id = ?`

// recordRunRow writes a finished run's row, of the values of finishedRow,
// keeping the trigger and who started it as recorded at its start, and
// deletes the live step rows of runID; its rows from the report
// (stepRows) are the caller's to write.
func recordRunRow(ctx context.Context, tx *writeTx, row []any, runID any) error {
	changed, err := execIn(ctx, tx, upsertFinished, row)
	if err == nil && changed == 0 {
		_, err = execIn(ctx, tx, replaceFinished, row)
	}
	if err != nil {
		return err
	}
	_, err = execIn(ctx, tx, deleteSteps, []any{runID})
	return err
}

// insertStepsQuery writes step rows, many a statement; %s stands for
// their rows of values.
const insertStepsQuery = `INSERT INTO steps (` + StepColumns + `) VALUES %s`

// stepValues is the number of values of a step row (StepColumns).
const stepValues = 16

// insertSteps writes step rows in order, many a statement (execRows):
// values holds them one after another, stepValues a row. It binds their
// empty text as NULL in place (emptyAsNull).
func (s *Store) insertSteps(ctx context.Context, tx *writeTx, values []any) error {
	for part := range slices.Chunk(values, maxRows*stepValues) {
		first := part[1] // the step id of its first row, for the error
		if _, err := s.execRows(ctx, tx, insertStepsQuery, stepValues, part); err != nil {
			return fmt.Errorf("step %s: %w", first, err)
		}
	}
	return nil
}

// attemptStatus is the status an attempt's error class means, as the
// engine decides a step's.
func attemptStatus(class string) report.Status { return report.StatusOf(class) }

func section(s *report.Step) string {
	if s.Section == "" {
		return "steps"
	}
	return s.Section
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// absPath is path made absolute, so that what the database holds does not
// depend on the directory of the process that reads it; "" stays "".
func absPath(path string) string {
	if path == "" {
		return ""
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MarkInterrupted marks as interrupted every run still running whose owner
// Store is no longer open: its process ended (killed, crashed, or the
// machine went down) before RecordFinish. A run whose report file holds its
// end, signed with the state dir's key (its end was lost, as when the state
// dir's disk was full when it ended), is recorded from its report instead,
// as RecordFinish would have. Runs of Stores open in this or another
// process are left alone. An interrupted run's finish time is taken as the
// end of its last recorded step, or its start, and its error says why its
// report, if any, was not taken. It returns how many runs it marked. The
// CLI calls it on every open.
func (s *Store) MarkInterrupted(ctx context.Context) (int, error) {
	ids, err := s.MarkInterruptedIDs(ctx)
	return len(ids), err
}

// MarkInterruptedIDs is MarkInterrupted, returning the ids of the runs it
// marked, sorted, for a start-up line that names them.
func (s *Store) MarkInterruptedIDs(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT owner FROM runs WHERE status = ?`, string(StatusRunning))
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var dead []string
	for rows.Next() {
		var owner string
		if err := rows.Scan(&owner); err != nil {
			rows.Close()
			return nil, fmt.Errorf("history: %w", err)
		}
		if !s.ownerAlive(owner) {
			dead = append(dead, owner)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var marked []string
	for _, owner := range dead {
		why, err := s.recordLostEnds(ctx, owner)
		if err != nil {
			return marked, fmt.Errorf("history: mark interrupted: %w", err)
		}
		for id, msg := range why {
			res, err := s.exec(ctx, `UPDATE runs SET status = ?,
					finished_at = COALESCE((SELECT MAX(started_at + duration_ms) FROM steps WHERE steps.run_id = runs.id), started_at),
					duration_ms = COALESCE((SELECT MAX(started_at + duration_ms) FROM steps WHERE steps.run_id = runs.id), started_at) - started_at,
					error_class = 'system',
					error_message = ?
				WHERE id = ? AND status = ? AND owner = ?`,
				string(StatusInterrupted), ErrorText(msg), id, string(StatusRunning), owner)
			if err != nil {
				return marked, fmt.Errorf("history: mark interrupted: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				marked = append(marked, id)
			}
		}
		if owner != "" {
			// Owner names are random and never reused, so no live Store
			// can be using the dead owner's lock file.
			os.Remove(s.ownerPath(owner))
		}
	}
	slices.Sort(marked)
	return marked, nil
}
