package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrationConcurrency adds the concurrency groups: one row per run that
// holds or waits for a group, in the order they asked (id). A row belongs
// to the Store that wrote it (owner), so that the rows of a process that
// died are dropped rather than holding the group forever. cancel_by names
// the run that asked the row's run to stop (policy cancel_running).
const migrationConcurrency = `CREATE TABLE concurrency (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		grp       TEXT NOT NULL,
		run_id    TEXT NOT NULL,
		owner     TEXT NOT NULL,
		state     TEXT NOT NULL,
		since     INTEGER NOT NULL,
		cancel_by TEXT NOT NULL DEFAULT '',
		UNIQUE (grp, run_id)
	);
	CREATE INDEX concurrency_grp ON concurrency (grp, id);`

// The states of a concurrency row.
const (
	groupWaiting = "waiting"
	groupRunning = "running"
)

// GroupEnqueue records that run waits for group, behind the runs already
// holding or waiting for it. The place belongs to this Store: the other
// Group methods change run's place only when it is this Store's, as in
// the PostgreSQL store. who says who started run, for GroupWho.
func (s *Store) GroupEnqueue(ctx context.Context, group, run, who string) error {
	_, err := s.exec(ctx, `INSERT INTO concurrency (grp, run_id, owner, state, since, who) VALUES (?, ?, ?, ?, ?, ?)`,
		group, run, s.owner, groupWaiting, ms(s.now()), who)
	if err != nil {
		return fmt.Errorf("history: concurrency group: %w", err)
	}
	return nil
}

// GroupTry makes run the holder of group when no run holds it and run is
// the first of those waiting. Otherwise it returns the runs ahead of it,
// the holder first. Rows of Stores that are closed or whose process died,
// and of runs recorded as ended, are dropped first, so neither a crash nor
// a lost release holds a group.
func (s *Store) GroupTry(ctx context.Context, group, run string) (acquired bool, ahead []string, err error) {
	tx, err := s.beginWrite(ctx) // BEGIN IMMEDIATE (see Open)
	if err != nil {
		return false, nil, fmt.Errorf("history: concurrency group: %w", err)
	}
	defer tx.Rollback()
	owners, err := groupOwners(ctx, tx.Tx, group)
	if err != nil {
		return false, nil, err
	}
	for _, o := range owners {
		if !s.ownerAlive(o) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM concurrency WHERE owner = ?`, o); err != nil {
				return false, nil, fmt.Errorf("history: concurrency group: %w", err)
			}
		}
	}
	// A run recorded as ended whose release was lost holds nothing.
	if _, err := tx.ExecContext(ctx, `DELETE FROM concurrency WHERE grp = ? AND run_id IN (SELECT id FROM runs WHERE status != ?)`,
		group, groupRunning); err != nil {
		return false, nil, fmt.Errorf("history: concurrency group: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT run_id, owner FROM concurrency WHERE grp = ? ORDER BY state = 'running' DESC, id`, group)
	if err != nil {
		return false, nil, fmt.Errorf("history: concurrency group: %w", err)
	}
	mine := false
	for rows.Next() {
		var id, owner string
		if err := rows.Scan(&id, &owner); err != nil {
			rows.Close()
			return false, nil, fmt.Errorf("history: concurrency group: %w", err)
		}
		if id == run {
			mine = owner == s.owner
			break
		}
		ahead = append(ahead, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, nil, fmt.Errorf("history: concurrency group: %w", err)
	}
	if !mine {
		return false, nil, fmt.Errorf("history: concurrency group %q: run %s is not waiting for it", group, run)
	}
	if len(ahead) > 0 {
		return false, ahead, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE concurrency SET state = ? WHERE grp = ? AND run_id = ? AND owner = ?`, groupRunning, group, run, s.owner); err != nil {
		return false, nil, fmt.Errorf("history: concurrency group: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, nil, fmt.Errorf("history: concurrency group: %w", err)
	}
	return true, nil, nil
}

func groupOwners(ctx context.Context, tx *sql.Tx, group string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT owner FROM concurrency WHERE grp = ?`, group)
	if err != nil {
		return nil, fmt.Errorf("history: concurrency group: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, fmt.Errorf("history: concurrency group: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// GroupRequestCancel asks runs, of those holding or waiting for group,
// to stop, if by has its place of this Store's in the line: each learns
// it from GroupCancelledBy. A run of the group not named (one that came
// after by looked) is left alone.
func (s *Store) GroupRequestCancel(ctx context.Context, group, by string, runs []string) error {
	for _, run := range runs {
		if run == by {
			continue
		}
		_, err := s.exec(ctx, `UPDATE concurrency SET cancel_by = ? WHERE grp = ? AND run_id = ? AND cancel_by = ''
			AND EXISTS (SELECT 1 FROM concurrency m WHERE m.grp = ? AND m.run_id = ? AND m.owner = ?)`, by, group, run, group, by, s.owner)
		if err != nil {
			return fmt.Errorf("history: concurrency group: %w", err)
		}
	}
	return nil
}

// migrationGroupWho adds who started each run of a group's line, so that
// a run of policy cancel_running can tell whether its caller may stop the
// runs ahead of it, in this process or another. Rows written before hold
// ”.
const migrationGroupWho = `ALTER TABLE concurrency ADD COLUMN who TEXT NOT NULL DEFAULT '';`

// GroupWho returns the who GroupEnqueue recorded for run's place in
// group, and false when run has none (it left the line).
func (s *Store) GroupWho(ctx context.Context, group, run string) (string, bool, error) {
	var who string
	err := s.db.QueryRowContext(ctx, `SELECT who FROM concurrency WHERE grp = ? AND run_id = ? ORDER BY id LIMIT 1`, group, run).Scan(&who)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("history: concurrency group: %w", err)
	}
	return who, true, nil
}

// GroupCancelledBy returns the run that asked run to stop, or "".
func (s *Store) GroupCancelledBy(ctx context.Context, group, run string) (string, error) {
	var by string
	err := s.db.QueryRowContext(ctx, `SELECT cancel_by FROM concurrency WHERE grp = ? AND run_id = ?`, group, run).Scan(&by)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("history: concurrency group: %w", err)
	}
	return by, nil
}

// GroupRelease removes run's place of this Store's from group, holding or
// waiting.
func (s *Store) GroupRelease(ctx context.Context, group, run string) error {
	if _, err := s.exec(ctx, `DELETE FROM concurrency WHERE grp = ? AND run_id = ? AND owner = ?`, group, run, s.owner); err != nil {
		return fmt.Errorf("history: concurrency group: %w", err)
	}
	return nil
}
