package history

import (
	"context"
	"database/sql"
	"sync"
)

// Writes are serialised within a process by Store.wmu, so that the
// connections of one Store never contend for SQLite's write lock: a
// connection that finds it taken waits in SQLite's busy handler, which
// sleeps in steps of up to 100 ms, and a burst of runs then waits tens of
// milliseconds for a lock that was free again within microseconds. Other
// processes still queue on the busy timeout, which watchBusy makes heard:
// a wait past a few seconds is noticed, naming the process waited for,
// and a write that gave up says who held the database and what to do.

// writeTx is a write transaction that holds the Store's write lock until
// it commits or rolls back.
type writeTx struct {
	*sql.Tx
	once   sync.Once
	unlock func()
}

func (t *writeTx) Commit() error {
	err := t.Tx.Commit()
	t.once.Do(t.unlock)
	return err
}

func (t *writeTx) Rollback() error {
	err := t.Tx.Rollback()
	t.once.Do(t.unlock)
	return err
}

// beginWrite begins a write transaction (BEGIN IMMEDIATE, see Open) once
// this Store's other writes are done.
func (s *Store) beginWrite(ctx context.Context) (*writeTx, error) {
	s.wmu.Lock()
	w := s.watchBusy()
	tx, err := s.db.BeginTx(ctx, nil)
	if err = w.end(err); err != nil {
		s.wmu.Unlock()
		return nil, err
	}
	return &writeTx{Tx: tx, unlock: s.wmu.Unlock}, nil
}

// exec runs one write statement once this Store's other writes are done.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	w := s.watchBusy()
	res, err := s.db.ExecContext(ctx, query, args...)
	return res, w.end(err)
}
