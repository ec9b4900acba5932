// Package postgres is the PostgreSQL store: the history, the scheduler's
// slots, the result cache, concurrency groups, pause flags, reports and the
// report key of several arsenal-run processes on several hosts, in one
// database. It keeps the contract of the SQLite store (pkg/history) method
// for method; where SQLite tells a live process from a dead one by lock
// files, this store uses heartbeats: every open Store updates its row of
// the owners table every Lease/6, with its Lease, and a process whose
// heartbeat is older than the lease it recorded is dead, its running runs
// interrupted and its concurrency groups released. Each process is judged
// by its own lease, not by the judge's: processes with different leases
// (a CLI run with the default, replicas with --lease) share a database.
//
// Connections come from a pgx pool, which replaces connections that broke
// (a database restart) on their next use: a statement that fails meanwhile
// returns its error, and the callers retry as they do for SQLite's busy
// errors. Passwords never appear in what this package returns: the DSN is
// named only through Mask.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// Defaults of Config.
const (
	DefaultLease    = 30 * time.Second
	DefaultMaxConns = 16
)

// Config is what Open needs. URL is required.
type Config struct {
	// URL is the connection string: postgres://user:password@host/db?...
	// or the key=value form.
	URL string
	// ReportDir, when set, is a folder every process shares (a network
	// file system) where reports are written as files, as under a state
	// dir; "" keeps the reports in the database.
	ReportDir string
	// Lease is how long a process may go without a heartbeat before the
	// others take it for dead; 0 means DefaultLease.
	Lease time.Duration
	// MaxConns bounds the pool; 0 means DefaultMaxConns.
	MaxConns int32
	// NoMigrate makes Open refuse a database whose schema is not at
	// SchemaVersion instead of migrating it (for a role that may not
	// create tables: an administrator runs `arsenal-run store migrate`).
	NoMigrate bool
}

// Store is an open PostgreSQL store. Its methods are safe for concurrent
// use; Close ends it.
type Store struct {
	pool      *pgxpool.Pool
	cfg       Config
	owner     string
	described string
	now       func() time.Time

	// lostAt is when this Store last failed to reach the database (zero:
	// never since Open): until it has been back for a lease (the lease
	// of the process judged, see Alive), the others' heartbeats may be
	// stale for the same reason, and no one is taken for dead. okAt is
	// its last heartbeat that went through, and outages the last spans
	// in which it could not reach the database (see Unreachable).
	lostMu  sync.Mutex
	lostAt  time.Time
	okAt    time.Time
	outages []outage

	fence *fence // see Fence

	reportDir  *os.File    // the report folder as opened; see CheckDir
	reportInfo os.FileInfo // and what it was

	stop chan struct{}
	wg   sync.WaitGroup
}

// Open connects, migrates the schema (unless cfg.NoMigrate), registers
// this Store as a live owner and starts its heartbeat.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	var reportDir *os.File // see CheckDir
	var reportInfo os.FileInfo
	if cfg.ReportDir != "" {
		abs, err := filepath.Abs(cfg.ReportDir)
		if err != nil {
			return nil, fmt.Errorf("report dir: %w", err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("report dir: %w", err)
		}
		cfg.ReportDir = abs
		// Held open, so that the directory's inode is not given to
		// another one made at its path while this Store is open.
		if reportDir, err = os.Open(abs); err != nil {
			return nil, fmt.Errorf("report dir: %w", err)
		}
		if reportInfo, err = reportDir.Stat(); err != nil {
			reportDir.Close()
			return nil, fmt.Errorf("report dir: %w", err)
		}
	}
	opened := false
	defer func() {
		if !opened {
			closeDir(reportDir)
		}
	}()
	pool, err := Connect(ctx, cfg.URL, cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, cfg: cfg, owner: newOwner(), described: Mask(cfg.URL), now: time.Now, stop: make(chan struct{}), reportDir: reportDir, reportInfo: reportInfo}
	st, err := ReadStatus(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, s.wrap("read the schema version", err)
	}
	switch {
	case st.Version > st.Latest:
		pool.Close()
		return nil, fmt.Errorf("%s has schema version %d; this arsenal-run knows versions up to %d: use a newer arsenal-run", s.described, st.Version, st.Latest)
	case st.Pending() > 0 && cfg.NoMigrate:
		pool.Close()
		return nil, fmt.Errorf("%s has schema version %d, not %d: run `arsenal-run store migrate --state URL` with a role that may create tables", s.described, st.Version, st.Latest)
	case st.Pending() > 0:
		if _, err := Migrate(ctx, pool); err != nil {
			pool.Close()
			if errors.Is(err, ErrMigrationLockHeld) || ctx.Err() != nil {
				return nil, fmt.Errorf("%s: %w", s.described, redact(err, cfg.URL))
			}
			return nil, fmt.Errorf("%s: %w; an administrator can run `arsenal-run store migrate --state URL` with a role that may create tables", s.described, redact(err, cfg.URL))
		}
	}
	host, _ := os.Hostname()
	sent := time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO owners (owner, host, pid, lease_ms) VALUES ($1, $2, $3, $4)`,
		s.owner, host, os.Getpid(), cfg.Lease.Milliseconds()); err != nil {
		pool.Close()
		return nil, s.wrap("register", err)
	}
	s.okAt = time.Now()
	s.fence = newFence(s.FenceAfter(), sent)
	s.wg.Add(1)
	go s.heartbeat()
	opened = true
	return s, nil
}

// DefaultConnectTimeout bounds each connection to the database, its
// handshake included, when the connection string sets no connect_timeout:
// a database that takes the connection but never answers (a stuck server,
// a proxy whose backend is gone) would otherwise hold serve's start-up,
// and every connection after it, for ever, saying nothing.
const DefaultConnectTimeout = 15 * time.Second

// Connect opens a pool on url without touching the schema. Errors name
// the database with its password masked.
func Connect(ctx context.Context, rawURL string, maxConns int32) (*pgxpool.Pool, error) {
	return connect(ctx, rawURL, maxConns, DefaultConnectTimeout)
}

// connect is Connect with the connect timeout used when url sets none.
func connect(ctx context.Context, rawURL string, maxConns int32, timeout time.Duration) (*pgxpool.Pool, error) {
	if err := unescapedAt(rawURL); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, parseError(rawURL, err)
	}
	if pc.ConnConfig.ConnectTimeout <= 0 {
		pc.ConnConfig.ConnectTimeout = timeout
	}
	if maxConns > 0 {
		pc.MaxConns = maxConns
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "arsenal-run"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", Mask(rawURL), redact(err, rawURL))
	}
	stop := noticeSlowConnect(ctx, &pc.ConnConfig.Config)
	err = pool.Ping(ctx)
	stop()
	if err != nil {
		pool.Close()
		if ctx.Err() != nil {
			return nil, stopped(ctx, rawURL)
		}
		hint := ""
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			hint = silentHint(pc.ConnConfig.ConnectTimeout)
		}
		if msg, ok := refusal(err, &pc.ConnConfig.Config); ok {
			return nil, fmt.Errorf("%s: cannot connect: %s", Mask(rawURL), redact(errors.New(msg), rawURL))
		}
		if msg, ok := unreached(err); ok && hint == "" {
			return nil, fmt.Errorf("%s: cannot connect: %s", Mask(rawURL), redact(errors.New(msg), rawURL))
		}
		return nil, fmt.Errorf("%s: cannot connect: %v%s", Mask(rawURL), redact(err, rawURL), hint)
	}
	return pool, nil
}

// silentHint is what to do about a server that did not answer within
// the connect timeout.
func silentHint(timeout time.Duration) string {
	return fmt.Sprintf("; it took the connection but gave no answer within %s: check that the address is PostgreSQL's and that the server is up, or set a longer connect_timeout in the connection string", short.Duration(timeout))
}

// heartbeat keeps this Store's owner row fresh until Close, with the
// lease the others judge it by. A row that another process removed (it
// took this one for dead during a partition) is put back. It beats every
// sixth of the lease, each beat given a third: the fence (see Fence)
// comes down at half the lease, and one slow beat must not bring it down.
func (s *Store) heartbeat() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Lease / 6)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Lease/3)
		s.beat(ctx)
		cancel()
	}
}

// beat is one heartbeat: it records whether it went through (see lost
// and reached) and, when it did, renews the fence from when it was sent;
// gap is then how long it had been since the one before went through
// (see fence.renewed).
func (s *Store) beat(ctx context.Context) (gap time.Duration, err error) {
	host, _ := os.Hostname()
	sent := time.Now()
	_, err = s.pool.Exec(ctx, `INSERT INTO owners (owner, host, pid, lease_ms) VALUES ($1, $2, $3, $4)
		ON CONFLICT (owner) DO UPDATE SET heartbeat_at = now(), lease_ms = excluded.lease_ms`,
		s.owner, host, os.Getpid(), s.cfg.Lease.Milliseconds())
	if err != nil {
		s.lost()
		return 0, s.wrap("heartbeat", err)
	}
	s.reached()
	return s.fence.renewed(sent), nil
}

// Settled reports whether the database has been reachable for this
// Store's lease since it last failed to reach it: before, it takes no one
// for dead, for after an outage every heartbeat is old. A process with a
// longer lease is judged after as long (see Alive).
func (s *Store) Settled() bool {
	s.lostMu.Lock()
	defer s.lostMu.Unlock()
	return s.lostAt.IsZero() || time.Since(s.lostAt) > s.cfg.Lease
}

// Alive returns a SQL condition that holds while the owner whose id the
// SQL expression owner gives is alive: its row has a heartbeat younger
// than the lease it recorded, or the judging Store has not reached the
// database for that long since it last failed to (after an outage every
// heartbeat is old). A row of an older release, with no lease, is judged
// by the judging Store's lease. lease and back are the placeholders
// ("$4") that take the two values of Judge. Every "is this process dead"
// decision on the owners table goes through it, the run queue's too.
func Alive(owner, lease, back string) string {
	return `EXISTS (SELECT 1 FROM owners o WHERE o.owner = ` + owner + ` AND ` + beating(lease, back) + `)`
}

// beating is Alive's condition on a row o of owners.
func beating(lease, back string) string {
	own := `COALESCE(o.lease_ms, ` + lease + `::bigint)`
	return `(o.heartbeat_at > now() - make_interval(secs => ` + own + ` / 1000.0) OR ` + back + `::bigint <= ` + own + `)`
}

// Judge returns what Alive's placeholders take: this Store's lease, and
// how long it has reached the database since it last failed to, both in
// milliseconds (math.MaxInt64 when it never failed since Open).
func (s *Store) Judge() (leaseMS, backMS int64) {
	s.lostMu.Lock()
	defer s.lostMu.Unlock()
	backMS = math.MaxInt64
	if !s.lostAt.IsZero() {
		backMS = time.Since(s.lostAt).Milliseconds()
	}
	return s.cfg.Lease.Milliseconds(), backMS
}

// Close stops the heartbeat, removes this Store's owner row (its running
// runs are then interrupted for the next MarkInterrupted) and closes the
// pool.
func (s *Store) Close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	s.wg.Wait()
	s.fence.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.pool.Exec(ctx, `DELETE FROM owners WHERE owner = $1`, s.owner)
	s.pool.Close()
	closeDir(s.reportDir)
	if err != nil {
		return s.wrap("close", err)
	}
	return nil
}

// Pool returns the store's connection pool, for the run queue that lives
// in the same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// ConnString is the connection string the store was opened with, for
// the connections of its own that the run queue's leader election holds.
// It holds the password: never show or log it (Describe does that).
func (s *Store) ConnString() string { return s.cfg.URL }

// Owner is this Store's owner id, recorded on the runs it starts.
func (s *Store) Owner() string { return s.owner }

// Lease is how long a heartbeat counts.
func (s *Store) Lease() time.Duration { return s.cfg.Lease }

// Describe names the database, password masked.
func (s *Store) Describe() string { return s.described }

// Reports is the shared report folder, or "" when reports are kept in
// the database.
func (s *Store) Reports() string { return s.cfg.ReportDir }

// ReportsName names the report folder in messages: the report dir that
// --report-dir gave, not a state dir.
func (s *Store) ReportsName() string { return "the report dir (--report-dir)" }

// wrap is an error of the store, naming what failed; the database's
// message never holds the password, but the URL is redacted anyway.
func (s *Store) wrap(what string, err error) error {
	return fmt.Errorf("postgres: %s: %w%s", what, redactErr{err, s.cfg.URL}, PrivilegeHint(err))
}

// PrivilegeHint is what to do about err when the database refused a
// statement for the role's lack of a privilege, "" for any other error.
func PrivilegeHint(err error) string {
	if !PermissionDenied(err) {
		return ""
	}
	return "; the role of --state lacks a privilege on that table: " + grantAdvice
}

// grantAdvice is what to grant a role that lacks a privilege.
const grantAdvice = "grant it SELECT, INSERT, UPDATE and DELETE on the store's tables, and USAGE and SELECT on their sequences (docs/ha.md, the least-privilege role)"

func newOwner() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// Masked is what a password is shown as.
const Masked = "xxxxx"

var keywordPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// Mask returns a connection string with its password, in any of the forms
// PostgreSQL takes (user:password@ in a URL, ?password= in its query,
// password=... in the key=value form), replaced by xxxxx. Use it wherever
// a connection string is shown or logged.
func Mask(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return maskUnparsed(dsn)
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), Masked)
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", Masked)
			u.RawQuery = q.Encode()
		}
		if out := u.String(); out != u.Scheme+":" {
			return out
		}
		return u.Scheme + "://" // URL.String drops the // of an empty URL

	}
	return keywordPassword.ReplaceAllString(dsn, "${1}"+Masked)
}

// maskUnparsed masks a URL that does not parse: everything between the
// scheme's // and the last @ before the host, and any password=.
func maskUnparsed(dsn string) string {
	scheme, rest, _ := strings.Cut(dsn, "://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, _, _ := strings.Cut(rest[:at], ":")
		rest = user + ":" + Masked + rest[at:]
	}
	return keywordPassword.ReplaceAllString(scheme+"://"+rest, "${1}"+Masked)
}

// password returns the password a connection string holds, "" for none.
func password(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			if p, ok := u.User.Password(); ok {
				return p
			}
			return u.Query().Get("password")
		}
		return ""
	}
	if m := keywordPassword.FindStringSubmatch(dsn); m != nil {
		return strings.Trim(m[2], "'")
	}
	return ""
}

// redact replaces the password of dsn, wherever it appears in err's text,
// by xxxxx.
func redact(err error, dsn string) error {
	if err == nil {
		return nil
	}
	return redactErr{err, dsn}
}

// redactErr is an error whose text never holds the password of dsn; it
// unwraps to the error it masks, so errors.Is still finds sentinels.
type redactErr struct {
	err error
	dsn string
}

func (e redactErr) Error() string {
	msg := e.err.Error()
	if p := password(e.dsn); len(p) > 0 {
		msg = strings.ReplaceAll(msg, p, Masked)
	}
	if strings.Contains(msg, e.dsn) {
		msg = strings.ReplaceAll(msg, e.dsn, Mask(e.dsn))
	}
	return msg
}

func (e redactErr) Unwrap() error { return e.err }
