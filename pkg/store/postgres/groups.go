package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The states of a concurrency row, as in the SQLite store.
const (
	groupWaiting = "waiting"
	groupRunning = "running"
)

// GroupEnqueue records that run waits for group, behind the runs already
// holding or waiting for it. The place belongs to this Store: the other
// Group methods change run's place only when it is this Store's. Another
// process that takes the run over while this one looks dead (the queue
// hands it the run's job) drops this place and makes its own; back, this
// Store neither holds the group on that place nor frees it.
//
// who says who started run, for GroupWho.
func (s *Store) GroupEnqueue(ctx context.Context, group, run, who string) error {
	// A row written twice, its answer lost to a restart, is harmless:
	// GroupTry stops at the first and GroupRelease removes both.
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, `INSERT INTO concurrency (grp, run_id, owner, state, since, who) VALUES ($1, $2, $3, $4, $5, $6)`,
			group, run, s.owner, groupWaiting, ms(s.now()), who)
		return err
	})
	if err != nil {
		return s.wrap("concurrency group", err)
	}
	return nil
}

// GroupTry makes run the holder of group when no run holds it and run is
// first in line; otherwise it returns the runs ahead, the holder first.
// It fails when run has no place of this Store's in the line (its place
// was dropped, or taken over by another process).
// The rows of owners that are not alive (by their own lease: see Alive),
// and of runs recorded as ended
// (whose release was lost), are dropped first. A transaction advisory
// lock on the group's name serialises the processes that try the same
// group. Like the writes, it is tried again while the database is away.
func (s *Store) GroupTry(ctx context.Context, group, run string) (acquired bool, ahead []string, err error) {
	err = s.retry(ctx, func() error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
			acquired, ahead, err = s.groupTry(ctx, tx, group, run)
			return err
		})
	})
	if errors.Is(err, errNotWaiting) {
		return false, nil, fmt.Errorf("postgres: concurrency group %q: run %s is not waiting for it", group, run)
	}
	if err != nil {
		return false, nil, s.wrap("concurrency group", err)
	}
	return acquired, ahead, nil
}

// groupTry is one try of GroupTry, in tx.
func (s *Store) groupTry(ctx context.Context, tx pgx.Tx, group, run string) (bool, []string, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('arsenal-run group ' || $1, 0))`, group); err != nil {
		return false, nil, err
	}
	lease, back := s.Judge()
	if _, err := tx.Exec(ctx, `DELETE FROM concurrency c WHERE grp = $1 AND (
		(owner != $2 AND NOT `+Alive("c.owner", "$3", "$5")+`)
		OR EXISTS (SELECT 1 FROM runs r WHERE r.id = c.run_id AND r.status != $4))`,
		group, s.owner, lease, groupRunning, back); err != nil {
		return false, nil, err
	}
	rows, err := tx.Query(ctx, `SELECT run_id, owner = $2 FROM concurrency WHERE grp = $1 ORDER BY state = 'running' DESC, id`, group, s.owner)
	if err != nil {
		return false, nil, err
	}
	var ahead []string
	mine := false
	for rows.Next() {
		var id string
		var own bool
		if err := rows.Scan(&id, &own); err != nil {
			rows.Close()
			return false, nil, err
		}
		if id == run {
			mine = own
			break
		}
		ahead = append(ahead, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, nil, err
	}
	if !mine {
		return false, nil, errNotWaiting
	}
	if len(ahead) > 0 {
		return false, ahead, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE concurrency SET state = $1 WHERE grp = $2 AND run_id = $3 AND owner = $4`, groupRunning, group, run, s.owner); err != nil {
		return false, nil, err
	}
	return true, nil, nil
}

var errNotWaiting = errors.New("not waiting")

// GroupRequestCancel asks runs, of the other runs of group, to stop, if
// by still has its place of this Store's in the line.
func (s *Store) GroupRequestCancel(ctx context.Context, group, by string, runs []string) error {
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, `UPDATE concurrency SET cancel_by = $1 WHERE grp = $2 AND run_id != $1 AND run_id = ANY($4) AND cancel_by = ''
			AND EXISTS (SELECT 1 FROM concurrency m WHERE m.grp = $2 AND m.run_id = $1 AND m.owner = $3)`, by, group, s.owner, runs)
		return err
	})
	if err != nil {
		return s.wrap("concurrency group", err)
	}
	return nil
}

// GroupWho returns the who GroupEnqueue recorded for run's place in
// group, and false when run has none (it left the line).
func (s *Store) GroupWho(ctx context.Context, group, run string) (string, bool, error) {
	var who string
	err := s.pool.QueryRow(ctx, `SELECT who FROM concurrency WHERE grp = $1 AND run_id = $2 ORDER BY id LIMIT 1`, group, run).Scan(&who)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.wrap("concurrency group", err)
	}
	return who, true, nil
}

// GroupCancelledBy returns the run that asked run to stop, or "".
func (s *Store) GroupCancelledBy(ctx context.Context, group, run string) (string, error) {
	var by string
	err := s.pool.QueryRow(ctx, `SELECT cancel_by FROM concurrency WHERE grp = $1 AND run_id = $2`, group, run).Scan(&by)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", s.wrap("concurrency group", err)
	}
	return by, nil
}

// GroupRelease removes run's place of this Store's from group, holding or
// waiting; a place another process took over stays.
func (s *Store) GroupRelease(ctx context.Context, group, run string) error {
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, `DELETE FROM concurrency WHERE grp = $1 AND run_id = $2 AND owner = $3`, group, run, s.owner)
		return err
	})
	if err != nil {
		return s.wrap("concurrency group", err)
	}
	return nil
}
