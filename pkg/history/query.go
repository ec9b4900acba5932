package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Filter selects runs for List. Zero fields do not filter.
type Filter struct {
	Playbook string
	Status   report.Status
	// Statuses selects the runs of any of them (with Status, of any of
	// them or Status), as GET /api/v1/runs?status=failed,cancelled asks.
	Statuses []report.Status
	Trigger  Trigger
	Since    time.Time // runs started at or after
	Before   time.Time // runs started before, for paging
	// BeforeID, with Before, pages exactly: it selects the runs after
	// (Before, BeforeID) in List's order, those started before Before's
	// millisecond and those started in it with an id below BeforeID, so
	// that runs sharing a millisecond at a page's end are neither skipped
	// nor repeated. Without Before it is ignored.
	BeforeID string
	Limit    int // at most this many; 0 means DefaultLimit
	// IDPrefix selects the runs whose id starts with it, byte for byte,
	// for a run named by the start of its id.
	IDPrefix string
	// ResumedFrom selects the runs that resumed the run of this id.
	ResumedFrom string
}

// AnyStatus is the statuses f selects runs of, Status and Statuses;
// none when f selects runs of any status.
func (f Filter) AnyStatus() []report.Status {
	if f.Status == "" {
		return f.Statuses
	}
	if len(f.Statuses) == 0 {
		return []report.Status{f.Status}
	}
	if slices.Contains(f.Statuses, f.Status) {
		return f.Statuses
	}
	return append([]report.Status{f.Status}, f.Statuses...)
}

// HasStatus reports whether f selects runs of status st.
func (f Filter) HasStatus(st report.Status) bool {
	sts := f.AnyStatus()
	return len(sts) == 0 || slices.Contains(sts, st)
}

// DefaultLimit is how many runs List returns when Filter.Limit is 0.
const DefaultLimit = 50

// runColumns are the columns scanRun reads: RunColumns, then dry_run.
const runColumns = RunColumns + ", dry_run"

// List returns the runs that match f, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Run, error) {
	var where []string
	var args []any
	if f.Playbook != "" {
		where, args = append(where, "playbook = ?"), append(args, f.Playbook)
	}
	if sts := f.AnyStatus(); len(sts) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(sts)-1)+")")
		for _, st := range sts {
			args = append(args, string(st))
		}
	}
	if f.Trigger != "" {
		where, args = append(where, "triggered_by = ?"), append(args, string(f.Trigger))
	}
	if !f.Since.IsZero() {
		where, args = append(where, "started_at >= ?"), append(args, ms(f.Since))
	}
	if f.IDPrefix != "" {
		where, args = append(where, "substr(id, 1, ?) = ?"), append(args, len(f.IDPrefix), f.IDPrefix)
	}
	if f.ResumedFrom != "" {
		where, args = append(where, "resumed_from = ?"), append(args, f.ResumedFrom)
	}
	switch {
	case !f.Before.IsZero() && f.BeforeID != "":
		where, args = append(where, "(started_at, id) < (?, ?)"), append(args, ms(f.Before), f.BeforeID)
	case !f.Before.IsZero():
		where, args = append(where, "started_at < ?"), append(args, ms(f.Before))
	}
	q := "SELECT " + runColumns + " FROM runs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	q += " ORDER BY started_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	defer rows.Close()
	runs := []Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("history: list: %w", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	return runs, nil
}

// Get returns one run, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Run, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+runColumns+" FROM runs WHERE id = ?", id)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Run{}, fmt.Errorf("history: get %s: %w", id, err)
	}
	return r, nil
}

// scanRun reads a row of runColumns.
func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var dry bool
	r, err := scanRunColumns(sc, &dry)
	r.DryRun = dry
	return r, err
}

// scanRunColumns reads a row of RunColumns, and the columns that follow
// them into more.
func scanRunColumns(sc interface{ Scan(...any) error }, more ...any) (Run, error) {
	var r Run
	var roles, inputs, status, errClass, errMsg string
	var started int64
	var finished, dur, slot sql.NullInt64
	var trigger string
	err := sc.Scan(append([]any{&r.ID, &r.Playbook, &r.Path, &r.SHA256, &roles, &status, &started, &finished, &dur,
		&inputs, &r.ReportPath, &errClass, &errMsg, &r.ResumedFrom, &trigger, &slot, &r.BlockedBy, &r.StartedBy}, more...)...)
	if err != nil {
		return r, err
	}
	r.Trigger = Trigger(trigger)
	if slot.Valid {
		t := fromMS(slot.Int64)
		r.Slot = &t
	}
	r.Status = report.Status(status)
	r.StartedAt = fromMS(started)
	if finished.Valid {
		t := fromMS(finished.Int64)
		r.FinishedAt = &t
	}
	r.DurationMS = dur.Int64
	if err := json.Unmarshal([]byte(roles), &r.Roles); err != nil || r.Roles == nil {
		r.Roles = []string{}
	}
	if inputs != "{}" {
		json.Unmarshal([]byte(inputs), &r.Inputs)
	}
	if errClass != "" || errMsg != "" {
		r.Error = &report.Error{Class: errClass, Message: errMsg}
	}
	return r, nil
}

// OpStats summarises the calls of one operation. A call is one execution
// of the op: a step or fan-out item without retries, or one attempt.
// Errors counts calls that failed or were denied; cancelled calls count as
// calls but not errors. Percentiles are nearest-rank: P95MS is the
// smallest duration at least 95% of calls did not exceed. Count and
// Errors include the attempts a report left out of an attempt log
// (KindOmitted); the percentiles cover the calls recorded one by one.
type OpStats struct {
	Op        string  `json:"op"`
	Count     int64   `json:"count"`
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	P50MS     int64   `json:"p50_ms"`
	P95MS     int64   `json:"p95_ms"`
	P99MS     int64   `json:"p99_ms"`
	// CPU is the CPU time (user plus system) of the calls that ran a
	// local process and reported it; nil when none did.
	CPU *CPUStats `json:"cpu,omitempty"`
}

// PlaybookStats summarises the finished runs of one playbook: Errors counts
// failed and interrupted runs; durations are whole runs. The percentiles
// are of the Timed runs, all but the interrupted ones, whose duration is
// only how long they ran at least (to the end of their last recorded
// step), the cancelled ones, stopped part way on purpose, and the failed
// ones in which no step started (refused, or never started: their
// duration is how long they waited in the queue); with no Timed run they
// are 0 and mean nothing. Slots the
// scheduler skipped or missed have rows but are not runs, and not counted;
// nor are dry runs, whose write steps did not run (their read calls count
// in OpStats).
type PlaybookStats struct {
	Playbook  string  `json:"playbook"`
	Count     int64   `json:"count"`
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	Timed     int64   `json:"timed"`
	P50MS     int64   `json:"p50_ms"`
	P95MS     int64   `json:"p95_ms"`
	P99MS     int64   `json:"p99_ms"`
}

// The stats queries read a time range of a covering index in index order
// and return one narrow row per call or run: name, duration (NULL when
// it is not known, as an interrupted run's), error. Only a failed run
// is looked up in steps (by steps_run), to tell whether any step of it
// started. SQLite
// does no sorting; Go groups the durations by name and sorts each group.
// On a million step rows this is several times faster than a window
// function (ROW_NUMBER() OVER (PARTITION BY op ORDER BY duration_ms)),
// whose two temporary B-tree sorts dominate the query in SQLite.
const (
	opStatsQuery = `SELECT op, duration_ms, status IN ('failed', 'denied')
		FROM steps INDEXED BY steps_stats
		WHERE call = 1 AND started_at >= ? AND started_at < ?`
	playbookStatsQuery = `SELECT playbook, CASE WHEN status IN ('interrupted', 'cancelled') THEN NULL
			WHEN status = 'failed' AND NOT EXISTS (SELECT 1 FROM steps WHERE steps.run_id = runs.id AND steps.started_at IS NOT NULL) THEN NULL
			ELSE COALESCE(duration_ms, 0) END, status IN ('failed', 'interrupted')
		FROM runs INDEXED BY runs_stats
		WHERE started_at >= ? AND started_at < ? AND status NOT IN ('running', 'skipped', 'missed') AND dry_run = 0`
)

// Stats returns per-op and per-playbook counts, error rates and duration
// percentiles for what started at or after since and before until (no
// bound when until is zero), ordered by name. Both reads happen in one
// read transaction, so they see the same moment.
func (s *Store) Stats(ctx context.Context, since, until time.Time) ([]OpStats, []PlaybookStats, error) {
	from, to := ms(since), UntilMS(until)
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("history: stats: %w", err)
	}
	defer tx.Rollback()
	byOp, err := summarise(ctx, tx, opStatsQuery, from, to)
	if err != nil {
		return nil, nil, err
	}
	byPlaybook, err := summarise(ctx, tx, playbookStatsQuery, from, to)
	if err != nil {
		return nil, nil, err
	}
	omitted, err := omittedCalls(ctx, tx, from, to)
	if err != nil {
		return nil, nil, err
	}
	ops := make([]OpStats, len(byOp))
	for i, g := range byOp {
		ops[i] = OpStats{Op: g.name, Count: g.count, Errors: g.errors, ErrorRate: g.rate(), P50MS: g.p(50), P95MS: g.p(95), P99MS: g.p(99)}
	}
	ops = AddOmitted(ops, omitted)
	if err := addResources(ctx, tx, from, to, ops); err != nil {
		return nil, nil, err
	}
	pbs := make([]PlaybookStats, len(byPlaybook))
	for i, g := range byPlaybook {
		pbs[i] = PlaybookStats{Playbook: g.name, Count: g.count, Errors: g.errors, ErrorRate: g.rate(), Timed: int64(len(g.durations)), P50MS: g.p(50), P95MS: g.p(95), P99MS: g.p(99)}
	}
	return ops, pbs, nil
}

// UntilMS is until in the milliseconds the stores keep, for a query's
// bound "started before until": no bound (the largest value) when until
// is zero.
func UntilMS(until time.Time) int64 {
	if until.IsZero() {
		return math.MaxInt64
	}
	return ms(until)
}

// group is the durations and error count of one op or playbook.
type group struct {
	name          string
	count, errors int64
	durations     []int64 // sorted by summarise
}

func (g *group) rate() float64 {
	if g.count == 0 {
		return 0
	}
	return float64(g.errors) / float64(g.count)
}

// p is the nearest-rank percentile: the k-th smallest duration with
// k = ceil(n*pct/100).
func (g *group) p(pct int64) int64 {
	n := int64(len(g.durations))
	if n == 0 {
		return 0
	}
	k := (n*pct + 99) / 100
	return g.durations[max(k, 1)-1]
}

// summarise runs a stats query (name, duration, is-error) and returns one
// group per name, sorted by name, each with sorted durations: those not
// NULL, which the row counts without.
func summarise(ctx context.Context, tx *sql.Tx, q string, since, until int64) ([]*group, error) {
	rows, err := tx.QueryContext(ctx, q, since, until)
	if err != nil {
		return nil, fmt.Errorf("history: stats: %w", err)
	}
	defer rows.Close()
	groups := map[string]*group{}
	var name sql.RawBytes // no allocation per row; valid until Next
	var d sql.NullInt64
	var e int64
	for rows.Next() {
		if err := rows.Scan(&name, &d, &e); err != nil {
			return nil, fmt.Errorf("history: stats: %w", err)
		}
		g := groups[string(name)]
		if g == nil {
			g = &group{name: string(name)}
			groups[g.name] = g
		}
		g.count++
		g.errors += e
		if d.Valid {
			g.durations = append(g.durations, d.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: stats: %w", err)
	}
	return sortGroups(groups), nil
}

// sortGroups returns the groups sorted by name, each with its durations
// sorted.
func sortGroups(groups map[string]*group) []*group {
	out := make([]*group, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g.durations)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *group) int { return strings.Compare(a.name, b.name) })
	return out
}
