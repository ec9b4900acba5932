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
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver, without cgo

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// FileName is the database's name inside the state directory.
const FileName = "history.db"

// ownersDir holds one lock file per open Store.
const ownersDir = "owners"

// BusyTimeout is how long a statement waits for another process's write
// transaction before it fails with "database is locked".
const BusyTimeout = 10 * time.Second

// The statuses a run has in the history besides the report's: running
// until RecordFinish, and interrupted when its process ended first.
const (
	StatusRunning     report.Status = "running"
	StatusInterrupted report.Status = "interrupted"
)

// ErrNotFound is returned by Get for an unknown run id.
var ErrNotFound = errors.New("run not found in history")

// Store is an open history database. Its methods are safe for concurrent
// use; Close ends it.
type Store struct {
	db    *sql.DB
	dir   string
	owner string
	lock  *os.File
	now   func() time.Time
	batch batchStmts // RecordFinished's statements, prepared once
}

// Open opens, creating when needed, the history database in dir (created
// too), migrates its schema to SchemaVersion, and takes this Store's owner
// lock. It does not call MarkInterrupted; the caller decides when.
//
// Pragmas, set on every connection:
//   - journal_mode=WAL: readers (history, stats, the API) never block the
//     writer, nor it them; a crash leaves committed transactions intact.
//   - synchronous=NORMAL: in WAL mode a commit is durable against a crash
//     of the process (SIGKILL included) and never corrupts the database; only
//     an operating system crash or power loss can drop the last commits,
//     which costs at most the latest history rows (the JSON reports are
//     written and synced on their own). FULL would add an fsync per run for
//     no gain a history needs.
//   - busy_timeout: writers from several processes queue instead of failing.
//   - foreign_keys=ON: step rows cannot outlive their run.
//
// Write transactions start with BEGIN IMMEDIATE (the _txlock parameter), so
// two writers queue on the busy timeout instead of deadlocking when both try
// to upgrade a read lock.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, ownersDir), 0o755); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs), RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", abs, err)
	}
	// SQLite has one writer at a time; a few connections serve concurrent
	// readers.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	ctx := context.Background()
	if err := migrate(ctx, db, SchemaVersion); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: %s: %w", abs, err)
	}
	s := &Store{db: db, dir: dir, owner: newOwner(), now: time.Now}
	if s.lock, err = lockOwner(s.ownerPath(s.owner)); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: %w", err)
	}
	return s, nil
}

// Close closes the database and releases the owner lock; runs this Store
// left running are interrupted for the next MarkInterrupted.
func (s *Store) Close() error {
	s.batch.close()
	err := s.db.Close()
	if s.lock != nil {
		unlockOwner(s.lock)
		os.Remove(s.ownerPath(s.owner))
		s.lock = nil
	}
	return err
}

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
