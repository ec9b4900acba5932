package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// List returns the runs that match f, newest first.
func (s *Store) List(ctx context.Context, f history.Filter) ([]history.Run, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Playbook != "" {
		add("playbook = $%d", f.Playbook)
	}
	if sts := f.AnyStatus(); len(sts) > 0 {
		list := make([]string, len(sts))
		for i, st := range sts {
			list[i] = string(st)
		}
		add("status = ANY($%d)", list)
	}
	if f.Trigger != "" {
		add("triggered_by = $%d", string(f.Trigger))
	}
	if !f.Since.IsZero() {
		add("started_at >= $%d", ms(f.Since))
	}
	if f.IDPrefix != "" {
		args = append(args, len(f.IDPrefix), f.IDPrefix)
		where = append(where, fmt.Sprintf("substr(id, 1, $%d::int) = $%d", len(args)-1, len(args)))
	}
	if f.ResumedFrom != "" {
		add("resumed_from = $%d", f.ResumedFrom)
	}
	switch {
	case !f.Before.IsZero() && f.BeforeID != "":
		// The keyset of the order below: runs of Before's millisecond
		// with a lower id too (see history.Filter.BeforeID).
		args = append(args, ms(f.Before), f.BeforeID)
		where = append(where, fmt.Sprintf("(started_at, id) < ($%d, $%d)", len(args)-1, len(args)))
	case !f.Before.IsZero():
		add("started_at < $%d", ms(f.Before))
	}
	q := "SELECT " + runColumns + " FROM runs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = history.DefaultLimit
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY started_at DESC, id DESC LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("list", err)
	}
	defer rows.Close()
	runs := []history.Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.wrap("list", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list", err)
	}
	return runs, nil
}

// runColumns are the columns of a run that scanRun reads: the SQLite
// store's (history.RunColumns), then dry_run, which each store reads
// after them (see history.ScanRun).
const runColumns = history.RunColumns + ", dry_run"

// scanRun reads a row of runColumns.
func scanRun(row pgx.Row) (history.Run, error) {
	var dry bool
	r, err := history.ScanRun(scanAlso{row, []any{&dry}})
	r.DryRun = dry
	return r, err
}

// scanAlso is a row whose Scan fills more after the destinations it is
// given: the columns that follow history.RunColumns.
type scanAlso struct {
	row  pgx.Row
	more []any
}

func (s scanAlso) Scan(dest ...any) error { return s.row.Scan(append(dest, s.more...)...) }

// Get returns one run, or history.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (history.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, "SELECT "+runColumns+" FROM runs WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return history.Run{}, fmt.Errorf("%w: %s", history.ErrNotFound, id)
	}
	if err != nil {
		return history.Run{}, s.wrap("get "+id, err)
	}
	return r, nil
}

// Recorded reports whether a run with this id is in the store. The run
// queue asks before it starts a queued run, so that a job taken again
// never runs its run twice; like a write, it is tried again while the
// database is away (see retry), for a queued run must not be dropped
// because the database restarted as a replica took it.
func (s *Store) Recorded(ctx context.Context, id string) (bool, error) {
	var found bool
	err := s.retry(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1)`, id).Scan(&found)
	})
	if err != nil {
		return false, s.wrap("look up "+id, err)
	}
	return found, nil
}

// Steps returns the rows recorded for a run in the order they were
// written.
func (s *Store) Steps(ctx context.Context, runID string) ([]history.StepRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT step_id, section, kind, item, attempt, op, status, error_class, started_at, duration_ms, ignored <> 0
		FROM steps WHERE run_id = $1 ORDER BY seq`, runID)
	if err != nil {
		return nil, s.wrap("steps of "+runID, err)
	}
	defer rows.Close()
	var out []history.StepRow
	for rows.Next() {
		var r history.StepRow
		var item *int32
		var started *int64
		var status string
		if err := rows.Scan(&r.StepID, &r.Section, &r.Kind, &item, &r.Attempt, &r.Op, &status, &r.ErrorClass, &started, &r.DurationMS, &r.Ignored); err != nil {
			return nil, s.wrap("steps of "+runID, err)
		}
		r.Status = report.Status(status)
		if item != nil {
			i := int(*item)
			r.Item = &i
		}
		if started != nil {
			t := fromMS(*started)
			r.StartedAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// The stats queries of the SQLite store: one narrow row per call or run,
// grouped and sorted in Go.
const (
	opStatsQuery = `SELECT op, duration_ms, CASE WHEN status IN ('failed', 'denied') THEN 1 ELSE 0 END
		FROM steps WHERE call = 1 AND started_at >= $1 AND started_at < $2`
	playbookStatsQuery = `SELECT playbook, CASE WHEN status IN ('interrupted', 'cancelled') THEN NULL
			WHEN status = 'failed' AND NOT EXISTS (SELECT 1 FROM steps WHERE steps.run_id = runs.id AND steps.started_at IS NOT NULL) THEN NULL
			ELSE COALESCE(duration_ms, 0) END, CASE WHEN status IN ('failed', 'interrupted') THEN 1 ELSE 0 END
		FROM runs WHERE started_at >= $1 AND started_at < $2 AND status NOT IN ('running', 'skipped', 'missed') AND NOT dry_run`
	cpuStatsQuery = `SELECT op, cpu_user_ms + cpu_sys_ms, max_rss_kb
		FROM steps WHERE cpu_user_ms IS NOT NULL AND started_at >= $1 AND started_at < $2`
	// The attempts attempt logs left out (history.KindOmitted), per op.
	omittedStatsQuery = `SELECT op, SUM(attempt)::bigint, SUM(CASE WHEN status IN ('failed', 'denied') THEN attempt ELSE 0 END)::bigint
		FROM steps WHERE kind = 'omitted' AND started_at >= $1 AND started_at < $2 GROUP BY op`
)

// Stats returns per-op and per-playbook counts, error rates and
// percentiles for what started at or after since and before until (no
// bound when until is zero), in one read-only repeatable-read
// transaction, so both see the same moment.
func (s *Store) Stats(ctx context.Context, since, until time.Time) ([]history.OpStats, []history.PlaybookStats, error) {
	from, to := ms(since), history.UntilMS(until)
	var ops []history.OpStats
	var pbs []history.PlaybookStats
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		byOp, err := summarise(ctx, tx, opStatsQuery, from, to)
		if err != nil {
			return err
		}
		byPlaybook, err := summarise(ctx, tx, playbookStatsQuery, from, to)
		if err != nil {
			return err
		}
		cpu, err := cpuByOp(ctx, tx, from, to)
		if err != nil {
			return err
		}
		omitted, err := omittedCalls(ctx, tx, from, to)
		if err != nil {
			return err
		}
		ops = make([]history.OpStats, len(byOp))
		for i, g := range byOp {
			ops[i] = history.OpStats{Op: g.Name, Count: g.Count, Errors: g.Errors, ErrorRate: rate(g), P50MS: g.P50, P95MS: g.P95, P99MS: g.P99, CPU: cpu[g.Name]}
		}
		ops = history.AddOmitted(ops, omitted)
		pbs = make([]history.PlaybookStats, len(byPlaybook))
		for i, g := range byPlaybook {
			pbs[i] = history.PlaybookStats{Playbook: g.Name, Count: g.Count, Errors: g.Errors, ErrorRate: rate(g), Timed: g.Valued, P50MS: g.P50, P95MS: g.P95, P99MS: g.P99}
		}
		return nil
	})
	if err != nil {
		return nil, nil, s.wrap("stats", err)
	}
	return ops, pbs, nil
}

func rate(g history.Summary) float64 {
	if g.Count == 0 {
		return 0
	}
	return float64(g.Errors) / float64(g.Count)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func summarise(ctx context.Context, q querier, sql string, since, until int64) ([]history.Summary, error) {
	rows, err := q.Query(ctx, sql, since, until)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []history.SummaryRow
	for rows.Next() {
		var r history.SummaryRow
		var e int32
		var v *int64 // NULL: not known, as an interrupted run's duration
		if err := rows.Scan(&r.Name, &v, &e); err != nil {
			return nil, err
		}
		r.Error = int64(e)
		if v == nil {
			r.NoValue = true
		} else {
			r.Value = *v
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return history.Summarise(list), nil
}

// omittedCalls reads the calls attempt logs left out from since to
// before until, by op.
func omittedCalls(ctx context.Context, q querier, since, until int64) (map[string]history.OmittedCalls, error) {
	rows, err := q.Query(ctx, omittedStatsQuery, since, until)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]history.OmittedCalls{}
	for rows.Next() {
		var op string
		var o history.OmittedCalls
		if err := rows.Scan(&op, &o.Count, &o.Errors); err != nil {
			return nil, err
		}
		out[op] = o
	}
	return out, rows.Err()
}

func cpuByOp(ctx context.Context, q querier, since, until int64) (map[string]*history.CPUStats, error) {
	rows, err := q.Query(ctx, cpuStatsQuery, since, until)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []history.SummaryRow
	rss := map[string]int64{}
	for rows.Next() {
		var r history.SummaryRow
		var peak *int64
		if err := rows.Scan(&r.Name, &r.Value, &peak); err != nil {
			return nil, err
		}
		if peak != nil {
			rss[r.Name] = max(rss[r.Name], *peak)
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string]*history.CPUStats{}
	for _, g := range history.Summarise(list) {
		out[g.Name] = &history.CPUStats{Count: g.Count, P50MS: g.P50, P95MS: g.P95, MaxRSSKB: rss[g.Name]}
	}
	return out, nil
}

// ResourceStats returns, per operation and sorted by name, the CPU and
// memory figures of the calls that ran a local process since since.
func (s *Store) ResourceStats(ctx context.Context, since time.Time) ([]history.OpResources, error) {
	byOp, err := cpuByOp(ctx, s.pool, ms(since), history.UntilMS(time.Time{}))
	if err != nil {
		return nil, s.wrap("cpu stats", err)
	}
	out := make([]history.OpResources, 0, len(byOp))
	for op, c := range byOp {
		out = append(out, history.OpResources{Op: op, CPUStats: *c})
	}
	slices.SortFunc(out, func(a, b history.OpResources) int { return strings.Compare(a.Op, b.Op) })
	return out, nil
}

// Prune deletes finished runs beyond the newest keepRuns of their playbook
// or older than keepDays days, with their steps and kept reports, and the
// report files of those runs that lie inside the report folder; see
// history.Store.Prune.
//
// As there, the runs are selected first, then deleted in batches of
// pruneRunBatch, each its own transaction, with each batch's report files
// removed once it is committed: a backlog (a first prune of a long
// history) is neither one transaction holding the locks of millions of
// rows for minutes nor undone whole when the sweep's time runs out.
func (s *Store) Prune(ctx context.Context, keepRuns, keepDays int) ([]string, error) {
	if keepRuns <= 0 && keepDays <= 0 {
		return nil, nil
	}
	doomed := map[string]string{}
	collect := func(q string, args ...any) error {
		rows, err := s.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return history.ReadDoomed(rows, doomed)
	}
	if keepRuns > 0 {
		// The rows of skipped and missed slots are not runs: they
		// neither count nor go here (PruneSlots takes them), as in the
		// SQLite store.
		if err := collect(`SELECT id, report_path FROM (
				SELECT id, report_path, status, row_number() OVER (PARTITION BY playbook ORDER BY started_at DESC, id DESC) AS n
				FROM runs WHERE status NOT IN ($3, $4)) r
			WHERE n > $1 AND status != $2`, keepRuns, string(history.StatusRunning), string(report.StatusSkipped), string(history.StatusMissed)); err != nil {
			return nil, s.wrap("prune", err)
		}
	}
	if cutoff, ok := history.KeepDaysCutoff(s.now(), keepDays); ok {
		if err := collect(`SELECT id, report_path FROM runs WHERE started_at < $1 AND status != $2`, ms(cutoff), string(history.StatusRunning)); err != nil {
			return nil, s.wrap("prune", err)
		}
	}
	ids := slices.Sorted(maps.Keys(doomed))
	var removed []string
	for batch := range slices.Chunk(ids, pruneRunBatch) {
		gone, err := s.deleteRuns(ctx, batch)
		if err != nil {
			return removed, s.wrap("prune", err)
		}
		if s.cfg.ReportDir != "" {
			removed = append(removed, history.RemoveReportFiles(s.cfg.ReportDir, gone, doomed)...)
		}
		if afterPruneBatch != nil {
			afterPruneBatch()
		}
	}
	return removed, nil
}

// pruneRunBatch is how many runs one transaction of Prune deletes at most.
var pruneRunBatch = 500

// afterPruneBatch, when set by a test, is called after each batch of
// Prune.
var afterPruneBatch func()

// deleteRuns deletes the runs ids that are not running, their steps and
// kept reports with them, and returns, sorted, those it deleted: not
// those another replica's prune took meanwhile, so that each report file
// is removed by the prune that deleted its row.
func (s *Store) deleteRuns(ctx context.Context, ids []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `DELETE FROM runs WHERE id = ANY($1) AND status != $2 RETURNING id`, ids, string(history.StatusRunning))
	if err != nil {
		return nil, err
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	slices.Sort(gone)
	return gone, nil
}
