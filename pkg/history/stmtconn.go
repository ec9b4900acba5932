package history

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/bits"

	"modernc.org/sqlite"
)

// The write path binds its values through the SQLite driver itself. Going
// through database/sql, each statement of a write transaction cost about
// fifteen allocations to find the connection's copy of a prepared
// statement (Tx.StmtContext) and a fresh slice of converted arguments, 40
// bytes a value: a batch of a server's executes spent a twelfth of the
// writer's CPU there. A connection of the Store's pool (stmtConn) keeps
// the write path's statements prepared on it and one slice of arguments,
// and a write transaction reaches them through sql.Conn.Raw.
//
// A statement must never outlive its connection: the driver finalizes a
// statement through its connection, and one finalized after the
// connection closed crashes the process. So the statements belong to
// the connection and are finalized by its Close, whoever closes it (the
// pool, a connection given up as bad, the Store's Close).

// sqliteConn is what every connection the SQLite driver opens implements,
// and what database/sql looks for on a connection: a wrapper that hid one
// of these would make database/sql fall back to slower or weaker paths.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtConn is a connection of the history database that keeps the write
// path's statements. Only database/sql's lock on the connection guards
// it: it is used inside sql.Conn.Raw, or closed by database/sql, never
// both at once.
type stmtConn struct {
	sqliteConn
	stmts map[string]driver.StmtExecContext
	args  []driver.NamedValue // reused by exec; see bindArgs
}

// Unwrap returns the driver's connection (sqlite.Limit looks for it).
func (c *stmtConn) Unwrap() driver.Conn { return c.sqliteConn }

// Close finalizes the connection's statements, then closes it.
func (c *stmtConn) Close() error {
	for q, st := range c.stmts {
		st.(driver.Stmt).Close()
		delete(c.stmts, q)
	}
	return c.sqliteConn.Close()
}

// exec runs query with args, preparing it on this connection the first
// time, and returns how many rows it changed.
func (c *stmtConn) exec(ctx context.Context, query string, args []any) (int64, error) {
	return c.execRows(ctx, query, args, len(args), 0)
}

// execRows runs query, preparing it on this connection the first time,
// with args, rows of cols values, bound as bindRows orders them, and
// returns how many rows it changed.
func (c *stmtConn) execRows(ctx context.Context, query string, args []any, cols int, shared uint64) (int64, error) {
	st := c.stmts[query]
	if st == nil {
		ds, err := c.PrepareContext(ctx, query)
		if err != nil {
			return 0, err
		}
		var ok bool
		if st, ok = ds.(driver.StmtExecContext); !ok {
			ds.Close()
			return 0, fmt.Errorf("the SQLite driver's statements have no ExecContext")
		}
		if c.stmts == nil {
			c.stmts = map[string]driver.StmtExecContext{}
		}
		c.stmts[query] = st
	}
	nv, err := c.bindRows(args, cols, shared)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, nv)
	clear(nv) // keep no value of a row alive until the next write
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// bindRows converts args, rows of cols values, as database/sql does for
// a driver that checks no value itself (driver.DefaultParameterConverter),
// into the connection's reused slice, in the order placeholders numbers
// them: the first row's values, then each other row's values but those of
// the columns of shared, which every row has alike (sharedForms).
func (c *stmtConn) bindRows(args []any, cols int, shared uint64) ([]driver.NamedValue, error) {
	n := len(args)
	if shared != 0 {
		n -= (len(args)/cols - 1) * bits.OnesCount64(shared)
	}
	if cap(c.args) < n {
		c.args = make([]driver.NamedValue, n)
	}
	nv := c.args[:0]
	for i, a := range args {
		if i >= cols && shared&(1<<(i%cols)) != 0 {
			continue // bound with the first row's
		}
		switch v := a.(type) {
		case nil, string, int64, bool, float64, []byte:
			// Values the converter keeps as they are.
		case int:
			a = int64(v)
		default:
			var err error
			if a, err = driver.DefaultParameterConverter.ConvertValue(a); err != nil {
				return nil, fmt.Errorf("converting argument $%d type: %w", i+1, err)
			}
		}
		nv = append(nv, driver.NamedValue{Ordinal: len(nv) + 1, Value: a})
	}
	return nv, nil
}

// stmtConnector opens the Store's connections as stmtConns.
type stmtConnector struct{ driver.Connector }

func (c stmtConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("the SQLite driver's connection %T lacks what database/sql needs", conn)
	}
	return &stmtConn{sqliteConn: sc}, nil
}

// openDB opens the database of dsn with stmtConns.
func openDB(dsn string) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(stmtConnector{c}), nil
}

// execIn runs query with args in the write transaction tx, through the
// connection's own statement (see stmtConn), and returns how many rows
// it changed.
func execIn(ctx context.Context, tx *writeTx, query string, args []any) (n int64, err error) {
	err = tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stmtConn)
		if !ok {
			return fmt.Errorf("history: connection %T is not the Store's", dc)
		}
		n, err = c.exec(ctx, query, args)
		return err
	})
	return n, err
}

// execOn runs query, which takes no values, on conn through the
// connection's own statement (see stmtConn): a batch sets and resets
// temp_store on its connection, and SQLite would otherwise parse those
// statements again for every batch.
func execOn(ctx context.Context, conn *sql.Conn, query string) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stmtConn)
		if !ok {
			return fmt.Errorf("history: connection %T is not the Store's", dc)
		}
		_, err := c.exec(ctx, query, nil)
		return err
	})
}

// execRowsIn is execIn for a statement of many rows (placeholders): args
// are its rows of cols values, and the columns of shared are bound once.
func execRowsIn(ctx context.Context, tx *writeTx, query string, args []any, cols int, shared uint64) (n int64, err error) {
	err = tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stmtConn)
		if !ok {
			return fmt.Errorf("history: connection %T is not the Store's", dc)
		}
		n, err = c.execRows(ctx, query, args, cols, shared)
		return err
	})
	return n, err
}
