package history

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema versions in order: migrations[i] takes a
// database from PRAGMA user_version i to i+1. A released migration is never
// edited; a change adds one. Each runs in the transaction that also sets
// user_version, so a database is at one version or the next, never between.
//
// Times are Unix milliseconds (INTEGER) in UTC: compact, and compared
// without parsing.
var migrations = []string{
	// 1: runs and the per-step rows of each run.
	`CREATE TABLE runs (
		id            TEXT PRIMARY KEY,
		playbook      TEXT NOT NULL,
		path          TEXT NOT NULL DEFAULT '',
		sha256        TEXT NOT NULL DEFAULT '',
		roles         TEXT NOT NULL DEFAULT '[]',
		status        TEXT NOT NULL,
		started_at    INTEGER NOT NULL,
		finished_at   INTEGER,
		duration_ms   INTEGER,
		inputs        TEXT NOT NULL DEFAULT '{}',
		report_path   TEXT NOT NULL DEFAULT '',
		error_class   TEXT NOT NULL DEFAULT '',
		error_message TEXT NOT NULL DEFAULT '',
		resumed_from  TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX runs_playbook ON runs (playbook, started_at, id);
	CREATE TABLE steps (
		run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
		step_id     TEXT NOT NULL,
		section     TEXT NOT NULL DEFAULT 'steps',
		kind        TEXT NOT NULL,
		item        INTEGER,
		attempt     INTEGER NOT NULL,
		op          TEXT NOT NULL,
		status      TEXT NOT NULL,
		error_class TEXT NOT NULL DEFAULT '',
		started_at  INTEGER,
		duration_ms INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX steps_run ON steps (run_id);`,

	// 2: owners, so that MarkInterrupted leaves the runs of live processes
	// alone, and the indexes Stats, List and Prune read.
	//
	// steps.call marks the rows that are one operation call: a plain step
	// without retries, a fan-out item without retries, or one attempt.
	// steps_stats is a partial covering index of exactly those rows, in time
	// order, so Stats reads a time range of the index and never the table.
	// runs_stats does the same for runs.
	`ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
	ALTER TABLE steps ADD COLUMN call INTEGER NOT NULL DEFAULT 0;
	UPDATE steps SET call = 1
		WHERE started_at IS NOT NULL AND attempt > 0 AND (
			kind = 'attempt'
			OR (kind = 'step' AND NOT EXISTS (SELECT 1 FROM steps a
				WHERE a.run_id = steps.run_id AND a.section = steps.section AND a.step_id = steps.step_id
				AND a.kind IN ('item', 'attempt')))
			OR (kind = 'item' AND NOT EXISTS (SELECT 1 FROM steps a
				WHERE a.run_id = steps.run_id AND a.section = steps.section AND a.step_id = steps.step_id
				AND a.kind = 'attempt' AND a.item = steps.item)));
	CREATE INDEX steps_stats ON steps (started_at, op, duration_ms, status) WHERE call = 1;
	CREATE INDEX runs_stats ON runs (started_at, playbook, duration_ms, status);
	CREATE INDEX runs_running ON runs (owner) WHERE status = 'running';`,

	// 3: what started a run (cli, schedule or api), the slot a scheduled
	// run was for, and for a slot skipped by the overlap policy the run
	// that blocked it.
	`ALTER TABLE runs ADD COLUMN triggered_by TEXT NOT NULL DEFAULT 'cli';
	ALTER TABLE runs ADD COLUMN slot INTEGER;
	ALTER TABLE runs ADD COLUMN blocked_by TEXT NOT NULL DEFAULT '';
	CREATE INDEX runs_trigger ON runs (triggered_by, started_at);`,

	// 4: the scheduler's memory (slots.go). schedules holds, per playbook,
	// the fingerprint of its schedule, since when it has had it, and the
	// newest slot decided; schedule_slots one row per decided slot, whose
	// primary key is what makes a slot fire at most once. The key starts
	// with the slot, so the rows of one moment's batch go in next to each
	// other at the end of the tree: keyed by playbook first, a thousand
	// playbooks firing each second dirtied a thousand pages a second.
	`CREATE TABLE schedules (
		playbook    TEXT PRIMARY KEY,
		fingerprint TEXT NOT NULL,
		since       INTEGER NOT NULL,
		last_slot   INTEGER
	) WITHOUT ROWID;
	CREATE TABLE schedule_slots (
		playbook   TEXT NOT NULL,
		slot       INTEGER NOT NULL,
		outcome    TEXT NOT NULL,
		run_id     TEXT NOT NULL DEFAULT '',
		blocked_by TEXT NOT NULL DEFAULT '',
		message    TEXT NOT NULL DEFAULT '',
		decided_at INTEGER NOT NULL,
		PRIMARY KEY (slot, playbook)
	) WITHOUT ROWID;`,

	// 5: concurrency groups (concurrency.go).
	migrationConcurrency,

	// 6: resource usage of process steps, and the result cache.
	migrationResourcesAndCache,

	// 7: paused schedules (pause.go), and who started each run.
	migrationPauses,

	// 8: whether a run is a dry run, written with its start and again
	// from its report at its end, so that a run another process runs
	// shows as a dry run while it runs. Rows written before read 0; the
	// reports of the dry runs among them still say so.
	`ALTER TABLE runs ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;`,

	// 9: whether a step's failure was ignored (continue_on_error), so
	// that 'history show' and a report rebuilt from history do not show
	// it as a failure that counted. Rows written before read 0; their
	// reports still say so.
	`ALTER TABLE steps ADD COLUMN ignored INTEGER NOT NULL DEFAULT 0;`,

	// 10: the file a pause pauses (Pause.Path), so that a pause made
	// through one process holds for that file only, not for another
	// playbook of the same name another scheduler runs. Pauses written
	// before hold '' and keep holding for every file of their name.
	`ALTER TABLE schedule_pauses ADD COLUMN path TEXT NOT NULL DEFAULT '';`,

	// 11: who started each run of a concurrency group's line.
	migrationGroupWho,

	// 12: the rows in the place of the attempts a report left out of an
	// attempt log, which Stats counts (omitted.go).
	migrationOmitted,

	// 13: runs_stats covers dry_run too, so that Stats leaves dry runs
	// out of a playbook's runs and still reads only the index.
	`DROP INDEX runs_stats;
	CREATE INDEX runs_stats ON runs (started_at, playbook, duration_ms, status, dry_run);`,

	// 14: the dry runs recorded before version 8, whose rows read 0, are
	// marked from their reports (dryRunFill in backfill.go).
	``,
}

// SchemaVersion is the user_version of a database this package wrote.
var SchemaVersion = len(migrations)

// migrate brings db up to version target (at most len(migrations)); the
// migration to dryRunFill reads the reports of the state dir's reports
// folder. It refuses a database from a newer release, whose schema it
// does not know.
func migrate(ctx context.Context, db *sql.DB, target int, reports string) error {
	return migrateWatched(ctx, db, "", nil, target, reports)
}

// migrateWatched is migrate on the database file path, whose wait for
// another process's write transaction is noticed to notice and explained
// in its error (see watchBusy).
func migrateWatched(ctx context.Context, db *sql.DB, path string, notice func(string), target int, reports string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The version is read first, outside any transaction: a database
	// already at target (every open but the first after an upgrade) is
	// left without taking the write lock, so that `history`, `stats` and
	// a run starting do not wait behind another process's write (a busy
	// scheduler, a long prune). In WAL mode this read waits for no
	// writer. A database from a newer release is refused here too.
	//
	// The reports that tell the dry runs of an older release are read
	// before the write lock is taken (they may be thousands); the version
	// read here only says whether to. A run recorded meanwhile is recorded
	// by a release that keeps dry_run.
	var dry []string
	var from int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&from); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if from > len(migrations) {
		return newerSchema(from)
	}
	if from >= target {
		return nil
	}
	if from < dryRunFill && dryRunFill <= target {
		if dry, err = dryRunsFromReports(ctx, conn, from, reports); err != nil {
			return fmt.Errorf("migrate to schema version %d: read the dry runs: %w", dryRunFill, err)
		}
	}
	// BEGIN IMMEDIATE takes the write lock before reading the version
	// again, so two processes opening an older database cannot both
	// apply a migration: the second finds the first's version and applies
	// none.
	w := watchBusy(path, notice)
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err = w.end(err); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var v int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if v > len(migrations) {
		return newerSchema(v)
	}
	for ; v < target; v++ {
		if migrations[v] != "" {
			if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
			}
		}
		if v+1 == dryRunFill {
			if err := markDryRuns(ctx, conn, dry); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
			}
		}
	}
	// PRAGMA takes no parameters; v is an int from this loop.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		return fmt.Errorf("migrate: set version: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	done = true
	return nil
}

// newerSchema is the error of opening a database at schema version v,
// which a newer release wrote and this one does not know.
func newerSchema(v int) error {
	return fmt.Errorf("history database has schema version %d; this arsenal-run knows versions up to %d: use a newer arsenal-run or another --state-dir", v, len(migrations))
}
