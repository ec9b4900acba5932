package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// schedulerLock is the advisory lock key of the one scheduler of a
// database: "arsenal-" plus one.
const schedulerLock = migrationLock + 1

// SchedulerLock is a process's hold on a database as its one scheduler,
// as scheduler.LockStateDir is for a state dir: two schedulers would each
// apply the overlap policy to the runs they know of. It is a session
// advisory lock on a connection of its own, which PostgreSQL releases when
// the connection ends, however it ends. Even when two schedulers run (the
// lock's connection broke and another process took it), each slot is
// still claimed once: the lock only keeps their overlap decisions apart.
type SchedulerLock struct {
	conn *pgx.Conn
}

// LockedError is the scheduler lock being held by another process.
type LockedError struct {
	Database string // masked
	// Holder is the holder's application_name: "arsenal-run scheduler
	// HOST pid PID" for a schedule or a serve replica; "" when unknown,
	// and then Lookup says why.
	Holder string
	Lookup error
}

func (e *LockedError) Error() string {
	who := "another scheduler"
	switch {
	case e.Holder != "":
		who += " (" + e.Holder + ")"
	case e.Lookup != nil:
		who += fmt.Sprintf(" (its host and pid are unknown: %v)", e.Lookup)
	}
	return fmt.Sprintf("%s is running on %s; stop it first, or use another database", who, e.Database)
}

// LockScheduler takes the scheduler lock of the database at url without
// waiting; a *LockedError says who holds it. Its connection is bounded by
// DefaultConnectTimeout when url sets no connect_timeout, as Connect's.
func LockScheduler(ctx context.Context, url string) (*SchedulerLock, error) {
	return lockScheduler(ctx, url, DefaultConnectTimeout)
}

// lockScheduler is LockScheduler with the connect timeout used when url
// sets none.
func lockScheduler(ctx context.Context, url string, timeout time.Duration) (*SchedulerLock, error) {
	if err := unescapedAt(url); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, parseError(url, err)
	}
	host, _ := os.Hostname()
	cfg.RuntimeParams["application_name"] = fmt.Sprintf("arsenal-run scheduler %s pid %d", host, os.Getpid())
	// The server notices a holder that vanished from the network within
	// about 11s, and releases the lock (a killed process's connection is
	// closed by its kernel, and noticed at once).
	cfg.RuntimeParams["tcp_keepalives_idle"] = "5"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "2"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = timeout
	}
	stop := noticeSlowConnect(ctx, &cfg.Config)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil, stopped(ctx, url)
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("%s: cannot connect: %v%s", Mask(url), redact(err, url), silentHint(cfg.ConnectTimeout))
		}
		if msg, ok := refusal(err, &cfg.Config); ok {
			return nil, fmt.Errorf("%s: cannot connect: %s", Mask(url), redact(errors.New(msg), url))
		}
		if msg, ok := unreached(err); ok {
			return nil, fmt.Errorf("%s: cannot connect: %s", Mask(url), redact(errors.New(msg), url))
		}
		return nil, fmt.Errorf("%s: cannot connect: %v", Mask(url), redact(err, url))
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, schedulerLock).Scan(&got); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("%s: scheduler lock: %v", Mask(url), redact(err, url))
	}
	if !got {
		holder, err := lockHolder(ctx, conn)
		conn.Close(ctx)
		return nil, &LockedError{Database: Mask(url), Holder: holder, Lookup: redact(err, url)}
	}
	return &SchedulerLock{conn: conn}, nil
}

// lockHolder names the session of conn's database that holds the
// scheduler lock, by its application_name (LockScheduler sets it to the
// host and pid), or says why it cannot. Advisory locks are per database:
// the holder is looked for in conn's database alone, not in the others of
// the server, whose schedulers hold keys of the same number. The key is
// cast to bigint, or PostgreSQL takes the parameter of the shifts for an
// integer, which the key does not fit.
func lockHolder(ctx context.Context, conn *pgx.Conn) (string, error) {
	var name string
	var pid int32
	err := conn.QueryRow(ctx, `SELECT a.application_name, l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid`,
		schedulerLock).Scan(&name, &pid)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", errors.New("it released the lock meanwhile, or its session is not visible to this role")
	case err != nil:
		return "", fmt.Errorf("cannot read pg_locks: %w", err)
	case name == "":
		return fmt.Sprintf("a session with no application_name, PostgreSQL backend pid %d", pid), nil
	}
	return name, nil
}

// unlockTimeout bounds Unlock: a connection cut off by a partition
// would otherwise hold it until the kernel gives up on the socket.
const unlockTimeout = 5 * time.Second

// Unlock releases the lock and closes its connection. It is idempotent.
func (l *SchedulerLock) Unlock() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, schedulerLock)
	l.conn.Close(ctx)
	l.conn = nil
}

// Alive checks, within ctx, that the lock's connection still answers: a
// broken connection has lost the lock.
func (l *SchedulerLock) Alive(ctx context.Context) error {
	if l == nil || l.conn == nil {
		return fmt.Errorf("scheduler lock: released")
	}
	_, err := l.conn.Exec(ctx, `SELECT 1`)
	return err
}
