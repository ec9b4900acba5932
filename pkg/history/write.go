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
// it commits or rolls back. Tx is nil for one begun by beginDirect, whose
// statements go through the connection's own (execIn).
type writeTx struct {
	*sql.Tx
	conn   *sql.Conn // the connection of Tx, for execIn
	once   sync.Once
	unlock func()
}

func (t *writeTx) Commit() error {
	var err error
	if t.Tx != nil {
		err = t.Tx.Commit()
	} else if err = execOn(context.Background(), t.conn, "COMMIT"); err != nil {
		// SQLite may keep the transaction open after a failed
		// COMMIT: the connection is closed, which rolls it back,
		// rather than given back to the pool inside it.
		t.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	t.once.Do(t.unlock)
	return err
}

func (t *writeTx) Rollback() error {
	var err error
	if t.Tx != nil {
		err = t.Tx.Rollback()
	} else {
		t.once.Do(func() {
			if err = execOn(context.Background(), t.conn, "ROLLBACK"); err != nil {
				t.conn.Raw(func(any) error { return driver.ErrBadConn })
			}
			t.unlock()
		})
		return err
	}
	t.once.Do(t.unlock)
	return err
}

// beginWrite begins a write transaction (BEGIN IMMEDIATE, see Open) once
// this Store's other writes are done.
func (s *Store) beginWrite(ctx context.Context) (*writeTx, error) {
	return s.beginWriteIn(ctx, false)
}

// beginWriteIn is beginWrite whose statement journals stay in memory
// with memTemp; see beginDirect.
func (s *Store) beginWriteIn(ctx context.Context, memTemp bool) (*writeTx, error) {
	conn, done, err := s.writeConn(ctx, memTemp)
	if err != nil {
		return nil, err
	}
	w := s.watchBusy()
	tx, err := conn.BeginTx(ctx, nil)
	if err = w.end(err); err != nil {
		done()
		return nil, err
	}
	return &writeTx{Tx: tx, conn: conn, unlock: done}, nil
}

// writeConn takes this Store's write lock and a connection for a write
// transaction, with temp_store MEMORY when memTemp, and returns done,
// which gives both back, the connection with SQLite's default.
func (s *Store) writeConn(ctx context.Context, memTemp bool) (*sql.Conn, func(), error) {
	s.wmu.Lock()
	conn, err := s.db.Conn(ctx)
	if err == nil && memTemp {
		if err = execOn(ctx, conn, "PRAGMA temp_store = MEMORY"); err != nil {
			conn.Close()
		}
	}
	if err != nil {
		s.wmu.Unlock()
		return nil, nil, err
	}
	return conn, func() {
		if memTemp {
			if err := execOn(context.Background(), conn, "PRAGMA temp_store = DEFAULT"); err != nil {
				// A connection that cannot be set back is not reused.
				conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}
		conn.Close()
		s.wmu.Unlock()
	}, nil
}

// beginDirect is beginWrite for a transaction whose statements all go
// through the connection's own (execIn, execRowsIn), as a run's start
// and end do: its BEGIN IMMEDIATE, COMMIT and ROLLBACK are statements
// prepared once on the connection too. Through database/sql, the SQLite
// driver parsed each of them again for every transaction, a twentieth
// of what recording a scheduled run cost.
//
// With memTemp, SQLite keeps the transaction's statement journals in
// memory. A journal holds the pages a statement (or a savepoint of a
// group, see writeGroup) changes, so that an error undoes that statement
// alone; past 64 KiB SQLite moves it to a temporary file, and a batch of
// a hundred executes' runs passed that in each statement, as a run with
// its step rows in a group often did: each created, wrote and deleted a
// file, a sixth of the writer's CPU and more, and failed when the
// temporary directory was not writable. The caller bounds what a journal
// may hold (statements of maxRows rows at most, a savepoint of a run of
// few rows); the connection goes back to the pool with the default
// setting.
func (s *Store) beginDirect(ctx context.Context, memTemp bool) (*writeTx, error) {
	conn, done, err := s.writeConn(ctx, memTemp)
	if err != nil {
		return nil, err
	}
	w := s.watchBusy()
	if err = w.end(execOn(ctx, conn, "BEGIN IMMEDIATE")); err != nil {
		// A BEGIN that failed began nothing, but one cut short by ctx
		// may have: the connection is not reused.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		done()
		return nil, err
	}
	return &writeTx{conn: conn, unlock: done}, nil
}

// beginBatch is beginDirect for a transaction of statements of many rows
// each (eachRows), their journals in memory: they hold maxRows rows at
// most.
func (s *Store) beginBatch(ctx context.Context) (*writeTx, error) {
	return s.beginDirect(ctx, true)
}

// exec runs one write statement once this Store's other writes are done.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	w := s.watchBusy()
	res, err := s.db.ExecContext(ctx, query, args...)
	return res, w.end(err)
}
