package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema versions in order: migrations[i] takes the
// database from version i to i+1. A released migration is never edited; a
// change adds one. Each runs in the transaction that records its version,
// and Migrate holds an advisory lock meanwhile, so that replicas starting
// at once apply each migration exactly once.
//
// The tables are the SQLite store's (pkg/history), with the same columns
// and meanings (runs.dry_run came in version 4 here, 8 there): times are
// Unix milliseconds in bigint, so that both stores compare and order them
// alike. Three are PostgreSQL's own: owners (the heartbeats that tell a
// live process from a dead one, where SQLite uses lock files), reports
// (the reports kept in the database when there is no shared report
// folder, and those of queued runs that never started) and settings (the report key and the console's session key).
var migrations = []string{
	`CREATE TABLE runs (
		id            text PRIMARY KEY,
		playbook      text NOT NULL,
		path          text NOT NULL DEFAULT '',
		sha256        text NOT NULL DEFAULT '',
		roles         text NOT NULL DEFAULT '[]',
		status        text NOT NULL,
		started_at    bigint NOT NULL,
		finished_at   bigint,
		duration_ms   bigint,
		inputs        text NOT NULL DEFAULT '{}',
		report_path   text NOT NULL DEFAULT '',
		error_class   text NOT NULL DEFAULT '',
		error_message text NOT NULL DEFAULT '',
		resumed_from  text NOT NULL DEFAULT '',
		owner         text NOT NULL DEFAULT '',
		triggered_by  text NOT NULL DEFAULT 'cli',
		slot          bigint,
		blocked_by    text NOT NULL DEFAULT '',
		started_by    text NOT NULL DEFAULT ''
	);
	CREATE INDEX runs_playbook ON runs (playbook, started_at, id);
	CREATE INDEX runs_stats ON runs (started_at, playbook, duration_ms, status);
	CREATE INDEX runs_running ON runs (owner) WHERE status = 'running';
	CREATE INDEX runs_trigger ON runs (triggered_by, started_at);
	CREATE TABLE steps (
		seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		run_id      text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
		step_id     text NOT NULL,
		section     text NOT NULL DEFAULT 'steps',
		kind        text NOT NULL,
		item        integer,
		attempt     integer NOT NULL,
		op          text NOT NULL,
		status      text NOT NULL,
		error_class text NOT NULL DEFAULT '',
		started_at  bigint,
		duration_ms bigint NOT NULL DEFAULT 0,
		call        integer NOT NULL DEFAULT 0,
		cpu_user_ms bigint,
		cpu_sys_ms  bigint,
		max_rss_kb  bigint
	);
	CREATE INDEX steps_run ON steps (run_id, seq);
	CREATE INDEX steps_stats ON steps (started_at, op, duration_ms, status) WHERE call = 1;
	CREATE INDEX steps_resources ON steps (started_at, op, cpu_user_ms, cpu_sys_ms, max_rss_kb) WHERE cpu_user_ms IS NOT NULL;
	CREATE TABLE schedules (
		playbook    text PRIMARY KEY,
		fingerprint text NOT NULL,
		since       bigint NOT NULL,
		last_slot   bigint
	);
	CREATE TABLE schedule_slots (
		playbook   text NOT NULL,
		slot       bigint NOT NULL,
		outcome    text NOT NULL,
		run_id     text NOT NULL DEFAULT '',
		blocked_by text NOT NULL DEFAULT '',
		message    text NOT NULL DEFAULT '',
		decided_at bigint NOT NULL,
		PRIMARY KEY (playbook, slot)
	);
	CREATE INDEX schedule_slots_slot ON schedule_slots (slot);
	CREATE TABLE schedule_pauses (
		playbook  text PRIMARY KEY,
		paused_by text NOT NULL DEFAULT '',
		paused_at bigint NOT NULL
	);
	CREATE TABLE concurrency (
		id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		grp       text NOT NULL,
		run_id    text NOT NULL,
		owner     text NOT NULL,
		state     text NOT NULL,
		since     bigint NOT NULL,
		cancel_by text NOT NULL DEFAULT '',
		UNIQUE (grp, run_id)
	);
	CREATE INDEX concurrency_grp ON concurrency (grp, id);
	CREATE TABLE cache (
		key        text PRIMARY KEY,
		op         text NOT NULL,
		playbook   text NOT NULL DEFAULT '',
		step       text NOT NULL DEFAULT '',
		output     text NOT NULL,
		created_at bigint NOT NULL,
		expires_at bigint NOT NULL
	);
	CREATE INDEX cache_expires ON cache (expires_at);
	CREATE INDEX cache_playbook ON cache (playbook, op);
	CREATE TABLE owners (
		owner        text PRIMARY KEY,
		host         text NOT NULL DEFAULT '',
		pid          integer NOT NULL DEFAULT 0,
		started_at   timestamptz NOT NULL DEFAULT now(),
		heartbeat_at timestamptz NOT NULL DEFAULT now()
	);
	CREATE TABLE reports (
		run_id text PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
		body   bytea NOT NULL
	);
	CREATE TABLE settings (
		name  text PRIMARY KEY,
		value bytea NOT NULL
	);`,

	// 2: what the run queue adds (pkg/queue): requests to cancel a run,
	// whichever replica runs it, and the events of running runs, so that
	// a replica streams the events of a run another one executes.
	`CREATE TABLE run_cancels (
		run_id       text PRIMARY KEY,
		cancelled_by text NOT NULL DEFAULT '',
		at           bigint NOT NULL
	);
	CREATE TABLE run_events (
		run_id text NOT NULL,
		seq    bigint NOT NULL,
		body   text NOT NULL,
		at     bigint NOT NULL,
		PRIMARY KEY (run_id, seq)
	);
	CREATE INDEX run_events_at ON run_events (at);`,

	// 3: what the console shares between replicas: the sessions signed
	// out (the signing key is a row of settings, as the report key), and
	// the confirm: questions of runs started with "ask", so that any
	// replica lists and answers them; an answer waits in its row until
	// the replica running the run gives it to the run.
	`CREATE TABLE session_revocations (
		id         text PRIMARY KEY,
		expires_at bigint NOT NULL
	);
	CREATE INDEX session_revocations_expires ON session_revocations (expires_at);
	CREATE TABLE run_questions (
		run_id      text NOT NULL,
		asking_run  text NOT NULL,
		step        text NOT NULL,
		op          text NOT NULL DEFAULT '',
		question    text NOT NULL DEFAULT '',
		playbook    text NOT NULL DEFAULT '',
		sha256      text NOT NULL DEFAULT '',
		asked_at    bigint NOT NULL,
		answer      text,
		answered_by text NOT NULL DEFAULT '',
		roles       text NOT NULL DEFAULT '[]',
		answered_from text NOT NULL DEFAULT '',
		PRIMARY KEY (run_id, asking_run, step)
	);`,

	// 4: whether a run is a dry run, written with its start (and its
	// end), so that every replica shows a running run's dry_run as the
	// one running it does. The SQLite store keeps it too, since its
	// schema version 8. Rows written before read false; the reports of
	// the dry runs among them still say so.
	`ALTER TABLE runs ADD COLUMN dry_run boolean NOT NULL DEFAULT false;`,

	// 5: whether a step's failure was ignored (continue_on_error), as the
	// SQLite store keeps it since its schema version 9: an integer, 0 or
	// 1, since both stores write the same arguments.
	`ALTER TABLE steps ADD COLUMN ignored integer NOT NULL DEFAULT 0;`,

	// 6: each owner's own lease, written with its registration and every
	// heartbeat, so that every process judges another by the lease that
	// one beats for, not by its own: a replica with --lease 6s must not
	// take for dead a CLI run that beats every 10 s for a 30 s lease.
	// Rows of older releases hold NULL, and are judged by the judging
	// process's lease, as they were.
	`ALTER TABLE owners ADD COLUMN lease_ms bigint;`,

	// 7: the file a pause pauses, as the SQLite store keeps it since its
	// schema version 10.
	`ALTER TABLE schedule_pauses ADD COLUMN path text NOT NULL DEFAULT '';`,

	// 8: who started each run of a concurrency group's line, as in the
	// SQLite store: a run of policy cancel_running stops only the runs
	// its caller could cancel. Rows written before hold ''.
	`ALTER TABLE concurrency ADD COLUMN who text NOT NULL DEFAULT '';`,

	// 9: the rows in the place of the attempts a report left out of an
	// attempt log (history.KindOmitted), which Stats counts, indexed as
	// the SQLite store indexes them since its schema version 12.
	`CREATE INDEX steps_omitted ON steps (started_at, op, attempt, status) WHERE kind = 'omitted';`,
}

// SchemaVersion is the version a database this package migrated is at.
var SchemaVersion = len(migrations)

// migrationLock is the advisory lock key that serialises migrations: the
// first eight bytes of "arsenal-" as a big-endian number.
const migrationLock int64 = 0x617273656e616c2d

// Status is where a database's schema stands.
type Status struct {
	Version   int       `json:"version"`    // applied; 0 for an empty database
	Latest    int       `json:"latest"`     // what this arsenal-run knows
	AppliedAt time.Time `json:"applied_at"` // when Version was applied; zero when none
}

// Pending is how many migrations Migrate would apply.
func (s Status) Pending() int { return max(s.Latest-s.Version, 0) }

// ReadStatus returns the schema version of the database behind pool.
func ReadStatus(ctx context.Context, pool *pgxpool.Pool) (Status, error) {
	st := Status{Latest: SchemaVersion}
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('arsenal_schema') IS NOT NULL`).Scan(&exists); err != nil {
		return st, err
	}
	if !exists {
		return st, nil
	}
	err := pool.QueryRow(ctx, `SELECT version, applied_at FROM arsenal_schema ORDER BY version DESC LIMIT 1`).Scan(&st.Version, &st.AppliedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = nil
	}
	return st, err
}

// Migrate brings the database up to SchemaVersion, under an advisory lock
// held on one connection, and returns how many migrations it applied. It
// refuses a database from a newer release. While another session holds
// the lock it says so (see WithNotice) and waits at most MigrationWait.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	return migrate(ctx, pool, len(migrations))
}

// migrate is Migrate up to version, no further: the tests make databases
// of earlier releases with it.
func migrate(ctx context.Context, pool *pgxpool.Pool, version int) (int, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	if err := takeMigrationLock(ctx, conn); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	// A database already migrated needs no right to create tables: a
	// role without it may check that nothing is pending, as a deploy
	// script's 'store migrate' does with the replicas' role.
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('arsenal_schema') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS arsenal_schema (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return 0, fmt.Errorf("migrate: %w", err)
		}
	}
	var v int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM arsenal_schema`).Scan(&v); err != nil {
		return 0, fmt.Errorf("migrate: read version: %w", err)
	}
	if v > len(migrations) {
		return 0, fmt.Errorf("the database has schema version %d; this arsenal-run knows versions up to %d: use a newer arsenal-run", v, len(migrations))
	}
	applied := 0
	for ; v < version; v++ {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return applied, fmt.Errorf("migrate: %w", err)
		}
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			tx.Rollback(ctx)
			return applied, fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO arsenal_schema (version) VALUES ($1)`, v+1); err != nil {
			tx.Rollback(ctx)
			return applied, fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		if err := tx.Commit(ctx); err != nil {
			return applied, fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		applied++
	}
	return applied, nil
}

// WithMigrationLock runs f while this process holds the migration lock,
// so that what f migrates (the run queue's own tables) is migrated once
// when replicas start at once. It waits for the lock as Migrate does.
func WithMigrationLock(ctx context.Context, pool *pgxpool.Pool, f func() error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if err := takeMigrationLock(ctx, conn); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	return f()
}
