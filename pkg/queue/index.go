package queue

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// runIndex indexes River's jobs by the run each one is of, then by id:
// every lookup of a run's job (Find, InLine, a cancel, the reaper's
// queries) asks for args->>'run_id', which none of River's own indexes
// serves, so that without it each one read every job in the queue, and a
// cancel slowed down as the backlog grew. The newest job of a run comes
// first in a backward scan, as Find asks. It is the queue's own, beside
// River's migrations: Migrate builds it and Pending counts it as one of
// them.
const runIndex = "river_job_arsenal_run_id"

// runIndexState tells whether runIndex exists in the schema of pool's
// search path, and whether it is valid: a build with CONCURRENTLY that
// was interrupted (a Ctrl-C, a connection lost) leaves an invalid index
// that no query uses, and that CREATE INDEX IF NOT EXISTS would keep.
func runIndexState(ctx context.Context, pool *pgxpool.Pool) (exists, valid bool, err error) {
	err = pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL,
			COALESCE((SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)), false)`,
		runIndex).Scan(&exists, &valid)
	if err != nil {
		return false, false, fmt.Errorf("queue: look for the index of jobs by run: %w", err)
	}
	return exists, valid, nil
}

// ensureRunIndex builds runIndex unless a valid one is there, and tells
// whether it built it. CONCURRENTLY takes no lock that stops the queue
// while it reads the jobs already there: replicas of the release before
// go on queueing and taking runs meanwhile. An invalid index left by an
// interrupted build is dropped first. The caller holds the migration
// lock, so that two processes never build it at once.
func ensureRunIndex(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	exists, valid, err := runIndexState(ctx, pool)
	if err != nil {
		return false, err
	}
	if valid {
		return false, nil
	}
	if exists {
		if _, err := pool.Exec(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+runIndex); err != nil {
			return false, fmt.Errorf("queue: drop the index of jobs by run an interrupted build left invalid: %w", err)
		}
	}
	if _, err := pool.Exec(ctx, `CREATE INDEX CONCURRENTLY IF NOT EXISTS `+runIndex+` ON river_job ((args->>'run_id'), id)`); err != nil {
		return false, fmt.Errorf("queue: index the jobs by run: %w", err)
	}
	return true, nil
}
