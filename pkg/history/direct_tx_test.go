package history

import (
	"context"
	"strings"
	"testing"
)

// poolIdle checks that no connection of s's pool is inside a
// transaction nor keeps temp_store MEMORY: each can begin one of its own.
func poolIdle(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	var conns []interface{ Close() error }
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 4 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var v int
		if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != 0 {
			t.Errorf("a connection of the pool has temp_store %d, want 0", v)
		}
		if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
			t.Errorf("a connection of the pool was left inside a transaction: %v", err)
			continue
		}
		if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDirectCommitThatFails: a COMMIT SQLite refuses (a deferred
// constraint) leaves no transaction open on a connection of the pool, and
// the next writes go on.
func TestDirectCommitThatFails(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE p (id INTEGER PRIMARY KEY);
		CREATE TABLE c (pid INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	for _, memTemp := range []bool{false, true} {
		tx, err := s.beginDirect(ctx, memTemp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := execIn(ctx, tx, "INSERT INTO c (pid) VALUES (5)", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Fatalf("commit: %v; want the deferred constraint's failure", err)
		}
		if err := tx.Rollback(); err != nil {
			t.Errorf("rollback after a failed commit: %v", err)
		}
		poolIdle(t, s)
		tx, err = s.beginDirect(ctx, memTemp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := execIn(ctx, tx, "INSERT INTO p (id) VALUES (NULL)", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var ps, cs int
	if err := s.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM c)").Scan(&ps, &cs); err != nil {
		t.Fatal(err)
	}
	if ps != 2 || cs != 0 {
		t.Errorf("%d rows of p, %d of c; want 2 and 0", ps, cs)
	}
	poolIdle(t, s)
}

// TestGroupedWriteThatPanics: a write of a group that panics after a
// statement fails its batch, undoes what it wrote, and leaves the pool
// as it was.
func TestGroupedWriteThatPanics(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE p (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for _, inRaw := range []bool{false, true} {
		err := s.groupedTx(ctx, 0, func(ctx context.Context, tx *writeTx) error {
			if _, err := execIn(ctx, tx, "INSERT INTO p (id) VALUES (NULL)", nil); err != nil {
				return err
			}
			if inRaw {
				tx.conn.Raw(func(any) error { panic("in the driver") })
			}
			panic("a bug")
		})
		if err == nil || !strings.Contains(err.Error(), "internal error") {
			t.Errorf("a panicking write: %v", err)
		}
		poolIdle(t, s)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM p").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows (%v) kept from writes that panicked", n, err)
	}
	if err := s.groupedTx(ctx, 0, func(ctx context.Context, tx *writeTx) error {
		_, err := execIn(ctx, tx, "INSERT INTO p (id) VALUES (NULL)", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBatchCancelledMidway: a batch whose context ends between its
// statements rolls back and leaves the pool as it was.
func TestBatchCancelledMidway(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE p (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	tx, err := s.beginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := execIn(ctx, tx, "INSERT INTO p (id) VALUES (NULL)", nil); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := execIn(ctx, tx, "INSERT INTO p (id) VALUES (NULL)", nil); err == nil {
		t.Log("a statement after the cancel still ran")
	}
	tx.Rollback()
	poolIdle(t, s)
	var n int
	if err := s.db.QueryRowContext(context.Background(), "SELECT count(*) FROM p").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows (%v) kept from a batch rolled back", n, err)
	}
}
