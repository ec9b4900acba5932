package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestLockedNamesTheHolder: a second scheduler on a database is refused
// with the host and pid of the one that holds the lock.
func TestLockedNamesTheHolder(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	first, err := LockScheduler(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Unlock()
	_, err = LockScheduler(ctx, dsn)
	var held *LockedError
	if !errors.As(err, &held) {
		t.Fatalf("second scheduler: %v, want a *LockedError", err)
	}
	host, _ := os.Hostname()
	if want := fmt.Sprintf("another scheduler (arsenal-run scheduler %s pid %d) is running on ", host, os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("refusal: %q, want it to contain %q", err, want)
	}
}

// TestLockedNamesTheHolderOfThisDatabase: two databases of one server
// each have their scheduler, holding the lock of the same number; the
// refusal on each names its own, not the other database's.
func TestLockedNamesTheHolderOfThisDatabase(t *testing.T) {
	ctx := context.Background()
	dsns := []string{pgtest.DSN(t), pgtest.DSN(t)}
	for i, dsn := range dsns {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["application_name"] = fmt.Sprintf("holder of database %d", i)
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, schedulerLock); err != nil {
			t.Fatal(err)
		}
	}
	for i, dsn := range dsns {
		_, err := LockScheduler(ctx, dsn)
		var held *LockedError
		if !errors.As(err, &held) {
			t.Fatalf("database %d: %v, want a *LockedError", i, err)
		}
		if want := fmt.Sprintf("holder of database %d", i); held.Holder != want || held.Lookup != nil {
			t.Errorf("database %d: holder %q (lookup: %v), want %q", i, held.Holder, held.Lookup, want)
		}
	}
}

// TestLockedHolderUnknownSaysWhy: when the holder cannot be named, the
// refusal says so and why, rather than leave the name out.
func TestLockedHolderUnknownSaysWhy(t *testing.T) {
	err := &LockedError{Database: "postgres://db/arsenal", Lookup: errors.New("cannot read pg_locks: permission denied")}
	want := "another scheduler (its host and pid are unknown: cannot read pg_locks: permission denied) is running on postgres://db/arsenal; stop it first, or use another database"
	if err.Error() != want {
		t.Errorf("refusal:\n%s\nwant\n%s", err, want)
	}
}
