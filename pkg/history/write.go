package history

import (
	"context"
	"database/sql"
	"database/sql/driver"
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
	conn   *sql.Conn // the connection of Tx, for execIn
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
	conn, err := s.db.Conn(ctx)
	if err != nil {
		s.wmu.Unlock()
		return nil, err
	}
	w := s.watchBusy()
	tx, err := conn.BeginTx(ctx, nil)
	if err = w.end(err); err != nil {
		conn.Close()
		s.wmu.Unlock()
		return nil, err
	}
	return &writeTx{Tx: tx, conn: conn, unlock: func() {
		conn.Close()
		s.wmu.Unlock()
	}}, nil
}

// beginBatch is beginWrite for a transaction of statements of many rows
// each (eachRows), whose statement journal SQLite keeps in memory. The
// journal holds the pages a statement changes, so that an error undoes
// that statement alone; past 64 KiB SQLite moves it to a temporary file,
// and a batch of a hundred executes' runs passed that in each statement:
// every batch created, wrote and deleted a file, a sixth of the history
// writer's CPU, and failed when the temporary directory was not
// writable. The statements of a batch hold 256 rows at most, so their
// journal stays small; the connection goes back to the pool with the
// default setting.
func (s *Store) beginBatch(ctx context.Context) (*writeTx, error) {
	s.wmu.Lock()
	conn, err := s.db.Conn(ctx)
	if err == nil {
		if err = execOn(ctx, conn, "PRAGMA temp_store = MEMORY"); err != nil {
			conn.Close()
		}
	}
	if err != nil {
		s.wmu.Unlock()
		return nil, err
	}
	w := s.watchBusy()
	tx, err := conn.BeginTx(ctx, nil)
	err = w.end(err)
	done := func() {
		if err := execOn(context.Background(), conn, "PRAGMA temp_store = DEFAULT"); err != nil {
			// A connection that cannot be set back is not reused.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
		s.wmu.Unlock()
	}
	if err != nil {
		done()
		return nil, err
	}
	return &writeTx{Tx: tx, conn: conn, unlock: done}, nil
}

// exec runs one write statement once this Store's other writes are done.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	w := s.watchBusy()
	res, err := s.db.ExecContext(ctx, query, args...)
	return res, w.end(err)
}
