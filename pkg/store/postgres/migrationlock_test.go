package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// holdMigrationLock takes the migration lock in a session of its own,
// named app, and leaves it idle in a transaction, as a `store migrate`
// stopped mid-way or a tool's forgotten session would; it returns the
// session's pid.
func holdMigrationLock(t *testing.T, dsn, app string) int32 {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	var pid int32
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	return pid
}

// shortWaits makes the migration lock's waits short for one test.
func shortWaits(t *testing.T) {
	saved := migrationWaits
	migrationWaits = lockWait{poll: 20 * time.Millisecond, notice: 0, repeat: time.Hour, bound: 2 * time.Second}
	t.Cleanup(func() { migrationWaits = saved })
}

// notices collects what a waiting process says.
type notices struct {
	mu    sync.Mutex
	lines []string
}

func (n *notices) add(msg string) { n.mu.Lock(); n.lines = append(n.lines, msg); n.mu.Unlock() }

func (n *notices) text() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n")
}

// TestMigrationLockHeldIsNamedAndBounded: while another session holds the
// migration lock (a hung `store migrate`), Migrate (a replica's or a
// `run --state URL`'s start) and WithMigrationLock (the run queue's
// tables) say that they wait and who holds the lock, then give up with
// the SQL that ends that session; ended as told, the migration goes
// through.
func TestMigrationLockHeldIsNamedAndBounded(t *testing.T) {
	shortWaits(t)
	dsn := pgtest.DSN(t)
	pid := holdMigrationLock(t, dsn, "stuck-migrate")
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// The test's own bound is generous: the code's is two seconds, and
	// the old code waited for ever.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var said notices
	ctx = WithNotice(ctx, said.add)
	_, err = Migrate(ctx, pool)
	if ctx.Err() != nil {
		t.Fatalf("Migrate waited for as long as the test let it: %v", err)
	}
	terminate := fmt.Sprintf("SELECT pg_terminate_backend(%d)", pid)
	if !errors.Is(err, ErrMigrationLockHeld) || !strings.Contains(err.Error(), terminate) ||
		!strings.Contains(err.Error(), `"stuck-migrate"`) || !strings.Contains(err.Error(), "idle in transaction since") {
		t.Errorf("Migrate returned %v; want ErrMigrationLockHeld naming the session and %s", err, terminate)
	}
	for _, want := range []string{"waiting for another process's migration", fmt.Sprintf("pid %d", pid), `"stuck-migrate"`, "client 127.0.0.1", "connected at"} {
		if !strings.Contains(said.text(), want) {
			t.Errorf("the notices do not say %q:\n%s", want, said.text())
		}
	}

	err = WithMigrationLock(ctx, pool, func() error { return errors.New("ran without the lock") })
	if !errors.Is(err, ErrMigrationLockHeld) || !strings.Contains(err.Error(), terminate) {
		t.Errorf("WithMigrationLock returned %v; want ErrMigrationLockHeld with %s", err, terminate)
	}

	if _, err := pool.Exec(ctx, terminate); err != nil {
		t.Fatal(err)
	}
	if n, err := Migrate(ctx, pool); err != nil || n != SchemaVersion {
		t.Errorf("after the session ended, Migrate applied %d, %v; want %d", n, err, SchemaVersion)
	}
}

// TestMigrationLockHolderHiddenFromTheRole: a role that may not read
// another role's session in pg_stat_activity still gets its pid and the
// SQL that ends it, and is told which role may read the rest.
func TestMigrationLockHolderHiddenFromTheRole(t *testing.T) {
	shortWaits(t)
	dsn := pgtest.DSN(t)
	pid := holdMigrationLock(t, dsn, "stuck-migrate")
	c := pgtest.Shared(t)
	role := fmt.Sprintf("lockreader_%d", pid)
	if err := c.Exec(context.Background(), "CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })
	pool, err := pgxpool.New(context.Background(), strings.Replace(dsn, "postgres://postgres@", "postgres://"+role+"@", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var said notices
	err = WithMigrationLock(WithNotice(ctx, said.add), pool, func() error { return nil })
	if !errors.Is(err, ErrMigrationLockHeld) || !strings.Contains(err.Error(), fmt.Sprintf("SELECT pg_terminate_backend(%d)", pid)) ||
		!strings.Contains(err.Error(), "pg_read_all_stats") {
		t.Errorf("WithMigrationLock returned %v; want the pid, the SQL that ends it and pg_read_all_stats", err)
	}
	if !strings.Contains(said.text(), fmt.Sprintf("pid %d", pid)) {
		t.Errorf("the notices do not name pid %d:\n%s", pid, said.text())
	}
}
