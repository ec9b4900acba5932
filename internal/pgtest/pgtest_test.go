package pgtest

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/testport"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestDatabasesAreSeparateAndSurviveARestart checks what the store tests
// rely on: each test gets an empty database of its own, the server runs,
// and a restart keeps the data and the port.
func TestDatabasesAreSeparateAndSurviveARestart(t *testing.T) {
	ctx := context.Background()
	a, b := DSN(t), DSN(t)
	if a == b {
		t.Fatalf("two tests got the same database %s", a)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE marks (n int); INSERT INTO marks VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	other, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := other.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'marks'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the second database sees the first one's table (%d, %v)", n, err)
	}
	other.Close(ctx)

	if err := Shared(t).Restart(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	conn, err = pgx.Connect(ctx, a)
	if err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT n FROM marks").Scan(&n); err != nil || n != 7 {
		t.Fatalf("after a restart the row reads %d, %v; want 7", n, err)
	}
}

// TestServerRunsUnprivileged checks that the data directory, which
// PostgreSQL insists on owning, belongs to a user other than root.
func TestServerRunsUnprivileged(t *testing.T) {
	fi, err := os.Stat(Shared(t).data())
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
		t.Fatalf("the data directory belongs to root; PostgreSQL refuses to run so")
	}
}

// TestPortIsBelowTheEphemeralRange: Down and Restart start the server
// again on its port, so that port must be one the kernel hands to no
// other program's listener or connection in between; a port in the
// ephemeral range could be, and the start then failed with "address
// already in use" in whatever test took the database down.
func TestPortIsBelowTheEphemeralRange(t *testing.T) {
	if low := testport.EphemeralLow(); Shared(t).Port() >= low {
		t.Errorf("port %d, inside the ephemeral range that begins at %d", Shared(t).Port(), low)
	}
}
