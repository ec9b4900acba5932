// Package history keeps the record of runs in an embedded SQLite database
// under the state directory, for `arsenal-run history`, `stats`, the
// scheduler and the API. It holds what the masked report holds, never more:
// run rows take their inputs and errors from the report, and step rows only
// ids, ops, statuses, error classes and timings.
//
// Several processes may share one state directory (a scheduler, the API
// server and CLI runs): SQLite's WAL mode lets readers run beside the one
// writer, and a busy timeout makes writers wait their turn. Each Store also
// holds a lock file for as long as it is open, so MarkInterrupted can tell a
// run whose process died from one that is still going.
package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver, without cgo
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// FileName is the database's name inside the state directory.
const FileName = "history.db"

// openLock is the lock file that serialises Open across processes.
const openLock = "history.lock"

// ownersDir holds one lock file per open Store.
const ownersDir = "owners"

// BusyTimeout is how long a statement waits for another process's write
// transaction before it fails with "database is locked".
const BusyTimeout = 10 * time.Second

// JournalSizeLimit is the size, in bytes, the WAL file is cut back to
// after it grew past it (see Open). 8 MiB is twice what the WAL holds
// between SQLite's automatic checkpoints (1,000 pages of 4 KiB), so in
// ordinary use the file never reaches it and is reused as it is, with no
// truncate and regrow per checkpoint; only a transaction bigger than that
// leaves a file to cut back, and at most 8 MiB of WAL stays on disk.
const JournalSizeLimit = 8 << 20

// OpenTimeout is how long Open waits for other processes opening the same
// state dir, one at a time: many runs started together on a busy machine
// queue there, each for the few milliseconds its open takes.
const OpenTimeout = 30 * time.Second

// openNotice tells the user, on standard error, that Open waits for
// another process (see lockExclusive): a command that waits never waits
// silently, and what it says stays out of its --json output.
var openNotice = func(msg string) { fmt.Fprintf(os.Stderr, "arsenal-run: history: %s\n", msg) }

// The statuses a run has in the history besides the report's: running
// until RecordFinish, and interrupted when its process ended first.
const (
	StatusRunning     report.Status = "running"
	StatusInterrupted report.Status = "interrupted"
)

// Statuses lists the statuses a run can have in the history, for filters:
// the run statuses of a report, running and interrupted, then skipped and
// missed for slots the scheduler did not fire.
func Statuses() []string {
	return []string{string(report.StatusSucceeded), string(report.StatusFailed), string(report.StatusCancelled), string(StatusRunning), string(StatusInterrupted),
		string(report.StatusSkipped), string(StatusMissed)}
}

// ErrNotFound is returned by Get for an unknown run id.
var ErrNotFound = errors.New("run not found in history")

// Store is an open history database. Its methods are safe for concurrent
// use; Close ends it.
type Store struct {
	db    *sql.DB
	dir   string
	owner string
	// ownerArg is owner boxed once, for the rows of the runs it starts.
	ownerArg any
	lock     *os.File
	now      func() time.Time
	// notice tells the user that a write waits for another process's
	// (see watchBusy), as Open's notice of its own wait.
	notice func(string)
	busy   *busyWatch  // each write's; see watchBusy
	stmts  stmtCache   // the write path's statements, prepared once
	wmu    sync.Mutex  // held by each write; see beginWrite
	group  commitGroup // RecordStart and RecordFinish; see grouped
	// dirFile and dirInfo are the state dir as opened; see CheckDir.
	dirFile *os.File
	dirInfo os.FileInfo
}

// Open opens, creating when needed, the history database in dir (created
// too, with its reports folder), migrates its schema to SchemaVersion, and
// takes this Store's owner lock. It does not call MarkInterrupted; the
// caller decides when.
//
// Opening is serialised across processes by an exclusive lock on
// history.lock, held while the database is created, switched to WAL
// and migrated: many runs starting at once on a fresh state dir would
// otherwise race to switch the journal mode, which SQLite answers with
// SQLITE_BUSY without waiting for the busy timeout.
//
// Pragmas, set on every connection:
//   - busy_timeout (first, so that the others wait too): writers from
//     several processes queue instead of failing.
//   - synchronous=NORMAL: in WAL mode a commit is durable against a crash
//     of the process (SIGKILL included) and never corrupts the database; only
//     an operating system crash or power loss can drop the last commits,
//     which costs at most the latest history rows (and, as the run service
//     writes them without an fsync too, the latest reports of the state
//     dir). FULL would add an fsync per run for no gain a history needs.
//   - foreign_keys=ON: step rows cannot outlive their run.
//   - journal_size_limit=JournalSizeLimit: SQLite reuses the WAL file
//     rather than shrinking it, so one big transaction (a burst written
//     while a long read held checkpoints back, a prune when it was one
//     transaction) left it that big for the life of the process; 32 MB
//     after a prune in a soak of serve. With the limit, the first commit after
//     the WAL is restarted cuts the file back to it.
//
// auto_vacuum is left at NONE on purpose: the pages a prune frees go to
// the free list and are reused by the rows written next, so under a
// retention the database stops growing; the file itself shrinks only
// with VACUUM. Turning auto_vacuum on takes a VACUUM of the whole
// database for one that exists, and makes every commit that frees pages
// move others around.
//
// journal_mode=WAL is set once, under the open lock; it is a property of
// the database file. Readers (history, stats, the API) never block the
// writer, nor it them; a crash leaves committed transactions intact.
//
// Write transactions start with BEGIN IMMEDIATE (the _txlock parameter, or
// the statement itself, prepared once on a connection, for the writes of
// runs: see beginDirect), so two writers queue on the busy timeout instead
// of deadlocking when both try to upgrade a read lock.
func Open(dir string) (*Store, error) { return OpenNotice(dir, nil) }

// OpenNotice is Open that tells notice, rather than standard error, that
// it waits for another process opening the state dir: a daemon logs it
// in its own log format.
func OpenNotice(dir string, notice func(msg string)) (*Store, error) {
	return OpenContext(context.Background(), dir, notice)
}

// OpenContext is OpenNotice whose wait for another process opening the
// state dir also ends when ctx is done: a daemon stopped (Ctrl-C) while
// it waits stops at once, with an error that wraps ctx's.
func OpenContext(ctx context.Context, dir string, notice func(msg string)) (*Store, error) {
	if notice == nil {
		notice = openNotice
	}
	// 0700: the reports, the history and the cache hold what runs read
	// with their rights; other users of the host get none of it. A state
	// dir that exists keeps its mode.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		if advice := LinkTargetMissing(dir, err); advice != nil {
			return nil, fmt.Errorf("history: %w", advice)
		}
		return nil, openLockError(err)
	}
	// Before anything in it is opened, as serve's and schedule's own
	// check: a user's state dir in /tmp is theirs, another user's is not.
	if err := foreignError(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, ownersDir), 0o755); err != nil {
		return nil, openLockError(err)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(absDir, ReportsDir), 0o700); err != nil {
		return nil, openLockError(err)
	}
	abs := filepath.Join(absDir, FileName)
	lock, err := lockExclusive(ctx, filepath.Join(absDir, openLock), OpenTimeout, notice)
	if err != nil {
		return nil, openLockError(err)
	}
	defer unlockOpen(lock)
	if err := ownOnly(abs); err != nil {
		return nil, fullDiskError(absDir, openLockError(err))
	}
	if err := ownDirOnly(filepath.Join(absDir, ReportsDir)); err != nil {
		return nil, openLockError(err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", JournalSizeLimit))
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs), RawQuery: q.Encode()}).String()
	db, err := openDB(dsn)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", abs, err)
	}
	// SQLite has one writer at a time; a few connections serve concurrent
	// readers.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	// Once the lock is taken, the open and a migration are carried
	// through: ctx bounds only the wait for it.
	ctx = context.Background()
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		db.Close()
		return nil, fullDiskError(absDir, readOnly(abs, damaged(abs, fmt.Errorf("history: %s: set WAL mode: %w", abs, err))))
	}
	if err := migrateWatched(ctx, db, abs, notice, SchemaVersion, filepath.Join(absDir, ReportsDir)); err != nil {
		db.Close()
		return nil, fullDiskError(absDir, readOnly(abs, damaged(abs, fmt.Errorf("history: %s: %w", abs, err))))
	}
	s := &Store{db: db, dir: absDir, owner: newOwner(), now: time.Now, notice: notice,
		busy: &busyWatch{db: abs, notice: notice}}
	s.ownerArg = s.owner
	if s.lock, err = lockOwner(s.ownerPath(s.owner)); err != nil {
		db.Close()
		return nil, openLockError(err)
	}
	if err := s.holdDir(); err != nil {
		s.Close()
		return nil, fmt.Errorf("history: %w", err)
	}
	return s, nil
}

// ErrDamaged is in the error of Open for a database file that SQLite
// found damaged or no database at all: a store that failed, not a state
// dir given wrong.
var ErrDamaged = errors.New("damaged history database")

// damagedError is an error of Open that is ErrDamaged, said as its own.
type damagedError struct{ error }

func (e damagedError) Unwrap() error        { return e.error }
func (e damagedError) Is(target error) bool { return target == ErrDamaged }

// damaged adds to err, an error opening the database file abs, what to do
// when SQLite found the file damaged or no database at all: a write cut
// short by a full disk or a crash, or another file copied over it.
func damaged(abs string, err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return damagedError{fmt.Errorf("%w; the history database is damaged or is not arsenal-run's: move it, with its -wal and -shm files, out of the state dir (mv %s* DIR) and run again to start a new, empty history; the reports in %s stay where they are", err, abs, filepath.Join(filepath.Dir(abs), ReportsDir))}
	}
	return err
}

// readOnly adds to err, an error opening the database file abs, what to
// do when SQLite may not write it: a history.db made read-only (chmod
// a-w, a restore that kept a backup's modes) failed with SQLite's
// "attempt to write a readonly database" alone, as opening it writes to
// it (its schema brought to this release's, its journal).
func readOnly(abs string, err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_READONLY {
		return err
	}
	fix := "make it writable by this user (chmod u+w " + shellword.Word(abs) + ", and chown it if it is another's)"
	if st, serr := os.Stat(abs); serr == nil {
		fix = fmt.Sprintf("it is mode %s: make it writable by this user (chmod u+w %s)", fsx.Octal(st.Mode()), shellword.Word(abs))
	}
	return fmt.Errorf("%w; this user may not write the history database, which opening it does even to read it: %s, or copy the state dir to a writable place and read the copy", err, fix)
}

// ReportsDir is the folder of the state dir that holds the runs' JSON
// reports, the only place Prune deletes files from.
const ReportsDir = "reports"

// Reports returns the absolute path of the state dir's reports folder.
func (s *Store) Reports() string { return filepath.Join(s.dir, ReportsDir) }

// Close closes the database and releases the owner lock; runs this Store
// left running are interrupted for the next MarkInterrupted.
func (s *Store) Close() error {
	s.stmts.close()
	err := s.db.Close()
	if s.lock != nil {
		unlockOwner(s.lock)
		os.Remove(s.ownerPath(s.owner))
		s.lock = nil
	}
	if s.dirFile != nil {
		s.dirFile.Close()
		s.dirFile = nil
	}
	return err
}

// dbPath is the database file's absolute path.
func (s *Store) dbPath() string { return s.busy.db }

func (s *Store) ownerPath(owner string) string {
	return filepath.Join(s.dir, ownersDir, owner+".lock")
}

func newOwner() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// ownerAlive reports whether the Store that wrote owner is still open, in
// this process or another: its lock file exists and is locked.
func (s *Store) ownerAlive(owner string) bool {
	if owner == "" {
		return false
	}
	if owner == s.owner {
		return true
	}
	return lockHeld(s.ownerPath(owner))
}

// ms is t as Unix milliseconds, the database's time format.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// openLockError is the error of Open failing to make or open a file of
// the state dir (its folders, its lock, the database): on a state dir this
// process cannot write (a read-only mount, another user's directory) it
// says what to do, as reading a history writes there too.
func openLockError(err error) error {
	if errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("history: %w; the history writes in its state dir even to be read (a lock, the database's journal): use a state dir this user can write, or copy this one to a writable place and read the copy", err)
	}
	return fmt.Errorf("history: %w", err)
}

// ownDirOnly takes from the reports folder dir the access group and
// other users have: an older release made it 0755 and its reports 0644,
// and a report holds what its run read with its rights. The folder is
// enough: without it, no one else reaches the files in it. A symlink in
// its place is left as it is, the choice of whoever made it.
func ownDirOnly(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if st.IsDir() && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, st.Mode().Perm()&0o700); err != nil {
			return fmt.Errorf("%s is readable by other users and cannot be made private: %w", dir, err)
		}
	}
	return nil
}

// ownOnly makes the database file, before SQLite opens it, readable by its
// owner alone: it holds what runs read with their rights (step outputs in
// the cache, inputs, errors), and in a state dir made beforehand with mode
// 0755 SQLite would create it 0644, with its WAL and shared-memory files
// taking the same mode. A database and its companions that exist lose the
// access other users had.
func ownOnly(db string) error {
	f, err := fsx.OpenOwn(db, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return err
	}
	// Put there after Open looked (the directory is open to others):
	// refused, not made private, as it is not this user's to trust.
	if uid, other := fsx.OwnedByOther(fi); other {
		return fmt.Errorf("%s belongs to user %d, who can change what is recorded there; remove it, or use a state dir of your own", db, uid)
	}
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, st.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("%s is readable by other users and cannot be made private: %w", p, err)
			}
		}
	}
	return nil
}
