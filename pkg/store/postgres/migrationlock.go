package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// MigrationWait bounds how long Migrate and WithMigrationLock wait for
// the migration lock while another session holds it. A migration of this
// package takes seconds; a lock held longer is most often a session that
// hangs (a `store migrate` stopped mid-way, a connection left open by a
// tool), which nothing but ending it frees.
const MigrationWait = 2 * time.Minute

// lockWait is how a process waits for the migration lock: it tries every
// poll, says who holds it after notice and every repeat after that, and
// gives up after bound. The tests shorten it.
type lockWait struct {
	poll, notice, repeat, bound time.Duration
}

var migrationWaits = lockWait{poll: 250 * time.Millisecond, notice: 2 * time.Second, repeat: 30 * time.Second, bound: MigrationWait}

// ErrMigrationLockHeld is the error, wrapped with who holds the lock and
// what to do, of a process that waited for the migration lock in vain.
var ErrMigrationLockHeld = errors.New("another session holds the migration lock")

type noticeKey struct{}

// WithNotice returns a context under which Migrate and WithMigrationLock
// tell notice, one line at a time, that they wait for another process's
// migration and who holds the lock. Without it they write those lines to
// standard error: a process that waits never waits silently.
func WithNotice(ctx context.Context, notice func(msg string)) context.Context {
	return context.WithValue(ctx, noticeKey{}, notice)
}

func noticeOf(ctx context.Context) func(string) {
	if f, ok := ctx.Value(noticeKey{}).(func(string)); ok && f != nil {
		return f
	}
	return func(msg string) { fmt.Fprintf(os.Stderr, "arsenal-run: %s\n", msg) }
}

// takeMigrationLock takes the migration lock on conn, waiting as
// migrationWaits says while another session holds it.
func takeMigrationLock(ctx context.Context, conn *pgxpool.Conn) error {
	w := migrationWaits
	start := time.Now()
	bound := time.NewTimer(w.bound)
	defer bound.Stop()
	poll := time.NewTicker(w.poll)
	defer poll.Stop()
	next := start.Add(w.notice)
	for {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, migrationLock).Scan(&got); err != nil {
			if ctx.Err() != nil {
				return stoppedWaiting(ctx)
			}
			return fmt.Errorf("take the migration lock: %w", err)
		}
		if got {
			return nil
		}
		if now := time.Now(); !now.Before(next) {
			next = now.Add(w.repeat)
			noticeOf(ctx)(fmt.Sprintf("waiting for another process's migration of the database: the migration lock is held by %s; giving up %s after the wait began", describeHolder(ctx, conn), short.Duration(w.bound)))
		}
		select {
		case <-poll.C:
		case <-bound.C:
			return heldError(ctx, conn, time.Since(start))
		case <-ctx.Done():
			return stoppedWaiting(ctx)
		}
	}
}

// stoppedWaiting is the wait for the migration lock given up because ctx
// ended (Ctrl-C at start-up): it wraps ctx's cause, so that errors.Is
// finds context.Canceled, and is no advice to end another session.
func stoppedWaiting(ctx context.Context) error {
	return fmt.Errorf("stopped while waiting for another process's migration of the database: %w", context.Cause(ctx))
}

// heldError is ErrMigrationLockHeld with who holds the lock and the SQL
// that ends the session.
func heldError(ctx context.Context, conn *pgxpool.Conn, waited time.Duration) error {
	h, ok := holderOf(ctx, conn)
	if !ok {
		return fmt.Errorf("%w (waited %s): if no `arsenal-run store migrate` is running, find the session with %s and end it with SELECT pg_terminate_backend(pid), as its role or an administrator; then start this again",
			ErrMigrationLockHeld, short.Duration(waited.Round(time.Second)), holderQuery)
	}
	return fmt.Errorf("%w: %s (waited %s): if no `arsenal-run store migrate` is running, end that session, as its role or an administrator: SELECT pg_terminate_backend(%d); then start this again",
		ErrMigrationLockHeld, h, short.Duration(waited.Round(time.Second)), h.pid)
}

// holderQuery finds the session that holds the migration lock. An
// advisory lock on a bigint key shows in pg_locks as its high half in
// classid and its low half in objid, with objsubid 1.
var holderQuery = fmt.Sprintf(`SELECT pid, application_name, client_addr, state, state_change FROM pg_stat_activity WHERE pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = %d AND objid = %d AND objsubid = 1 AND granted)`,
	lockHigh, lockLow)

// lockHigh and lockLow are the halves of migrationLock as pg_locks shows
// them.
const (
	lockHigh = migrationLock >> 32
	lockLow  = migrationLock & 0xffffffff
)

// holder is the session that holds the migration lock, as much of it as
// the role may read (pg_stat_activity hides the sessions of other roles
// from a role without pg_read_all_stats).
type holder struct {
	pid       int32
	visible   bool
	app       string
	client    string
	connected time.Time
	state     string
	since     time.Time
}

func (h holder) String() string {
	if !h.visible {
		return fmt.Sprintf("the session of pid %d (this role may not read its details in pg_stat_activity; a member of pg_read_all_stats may)", h.pid)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the session of pid %d (application_name %q", h.pid, h.app)
	if h.client != "" {
		fmt.Fprintf(&b, ", client %s", h.client)
	} else {
		b.WriteString(", over a local socket")
	}
	if !h.connected.IsZero() {
		fmt.Fprintf(&b, ", connected at %s", h.connected.UTC().Format(time.RFC3339))
	}
	if h.state != "" && !h.since.IsZero() {
		fmt.Fprintf(&b, ", %s since %s", h.state, h.since.UTC().Format(time.RFC3339))
	}
	b.WriteString(")")
	return b.String()
}

// describeHolder is who holds the migration lock, for a notice.
func describeHolder(ctx context.Context, conn *pgxpool.Conn) string {
	if h, ok := holderOf(ctx, conn); ok {
		return h.String()
	}
	return "another session (it may have just let go)"
}

// holderOf reads who holds the migration lock in this database; false
// when no one does or it cannot be read.
func holderOf(ctx context.Context, conn *pgxpool.Conn) (holder, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var (
		h         holder
		app       *string
		client    *string
		connected *time.Time
		state     *string
		since     *time.Time
	)
	err := conn.QueryRow(ctx, `SELECT l.pid, a.pid IS NOT NULL AND a.backend_start IS NOT NULL,
			a.application_name, host(a.client_addr), a.backend_start, a.state, a.state_change
		FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND l.classid::bigint = $1 AND l.objid::bigint = $2
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND l.pid <> pg_backend_pid()
		LIMIT 1`, int64(lockHigh), int64(lockLow)).
		Scan(&h.pid, &h.visible, &app, &client, &connected, &state, &since)
	if err != nil {
		return holder{}, false
	}
	h.app, h.client, h.state = deref(app), deref(client), deref(state)
	if connected != nil {
		h.connected = *connected
	}
	if since != nil {
		h.since = *since
	}
	return h, true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
