package main

// What the bench reads back from each store: when the runs ended, and
// when each slot was claimed and its run started.

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"
)

// The queries are the same on both stores: their tables are the same.
const (
	endedQuery = `SELECT id, started_at FROM runs WHERE playbook = $1 AND status NOT IN ('running')`
	slotsQuery = `SELECT s.outcome, s.decided_at - s.slot, COALESCE(r.started_at - s.slot, -1)
		FROM schedule_slots s LEFT JOIN runs r ON r.playbook = s.playbook AND r.slot = s.slot AND r.triggered_by = 'schedule' AND r.status NOT IN ('skipped', 'missed', 'failed')
		WHERE s.slot >= $1 AND s.slot < $2`
)

type sqlQuery struct{ db *sql.DB }

func sqliteQuery(dir string) querier { return &lazySQLite{dir: dir} }

// lazySQLite opens the state dir's database at the first query, once
// serve has made it.
type lazySQLite struct {
	dir string
	q   *sqlQuery
}

func (l *lazySQLite) get() (*sqlQuery, error) {
	if l.q == nil {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(l.dir, "history.db")+"?mode=ro&_pragma=busy_timeout(10000)")
		if err != nil {
			return nil, err
		}
		l.q = &sqlQuery{db}
	}
	return l.q, nil
}

func (l *lazySQLite) ended(ctx context.Context, playbook string) (map[string]int64, error) {
	q, err := l.get()
	if err != nil {
		return nil, err
	}
	rows, err := q.db.QueryContext(ctx, strings.ReplaceAll(endedQuery, "$1", "?"), playbook)
	if err != nil {
		return nil, err
	}
	return scanEnded(rows)
}

func (l *lazySQLite) slots(ctx context.Context, from, to int64) ([]int64, []int64, map[string]int, error) {
	q, err := l.get()
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err := q.db.QueryContext(ctx, strings.NewReplacer("$1", "?1", "$2", "?2").Replace(slotsQuery), from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	return scanSlots(rows)
}

type rowScanner interface {
	Next() bool
	Scan(...any) error
	Close()
	Err() error
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

func scanEnded(rows *sql.Rows) (map[string]int64, error) { return scanEndedRows(sqlRows{rows}) }

func scanEndedRows(rows rowScanner) (map[string]int64, error) {
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at
	}
	return out, rows.Err()
}

func scanSlots(rows *sql.Rows) ([]int64, []int64, map[string]int, error) {
	return scanSlotRows(sqlRows{rows})
}

func scanSlotRows(rows rowScanner) (fire, start []int64, outcomes map[string]int, err error) {
	defer rows.Close()
	outcomes = map[string]int{}
	for rows.Next() {
		var outcome string
		var f, s int64
		if err := rows.Scan(&outcome, &f, &s); err != nil {
			return nil, nil, nil, err
		}
		outcomes[outcome]++
		if outcome == "fired" {
			fire = append(fire, max(f, 0))
			if s >= 0 {
				start = append(start, s)
			}
		}
	}
	return fire, start, outcomes, rows.Err()
}

type pgQuery struct{ pool *pgxpool.Pool }

func (p pgQuery) ended(ctx context.Context, playbook string) (map[string]int64, error) {
	rows, err := p.pool.Query(ctx, endedQuery, playbook)
	if err != nil {
		return nil, err
	}
	return scanEndedRows(rows)
}

func (p pgQuery) slots(ctx context.Context, from, to int64) ([]int64, []int64, map[string]int, error) {
	rows, err := p.pool.Query(ctx, slotsQuery, from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	return scanSlotRows(rows)
}
