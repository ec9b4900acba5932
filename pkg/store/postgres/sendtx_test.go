package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestBatchSentAgainOnANewConnection: a write tried again after the
// database went away goes out on a new connection, which has prepared
// nothing yet. Sent as it was the first time, the batch would name the
// statements prepared on the connection that died ("prepared statement
// does not exist"), and the run's end would never be recorded.
func TestBatchSentAgainOnANewConnection(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: pgtest.DSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got int
	b := &pgx.Batch{}
	b.Queue(`SELECT $1::int + 1`, 41).QueryRow(func(row pgx.Row) error { return row.Scan(&got) })
	for attempt := range 2 {
		s.pool.Reset() // every connection goes, as in a restart
		if err := s.sendTx(ctx, b); err != nil {
			t.Fatalf("attempt %d: %v", attempt+1, err)
		}
		if got != 42 {
			t.Errorf("attempt %d: got %d, want 42", attempt+1, got)
		}
		got = 0
	}
}
