package postgres_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

func TestMaskHidesThePasswordInEveryForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://app:s3cret-pw@db.example:5432/ops?sslmode=require", "postgres://app:xxxxx@db.example:5432/ops?sslmode=require"},
		{"postgresql://app@db/ops?password=s3cret-pw&sslmode=disable", "postgresql://app@db/ops?password=xxxxx&sslmode=disable"},
		{"host=db user=app password=s3cret-pw dbname=ops", "host=db user=app password=xxxxx dbname=ops"},
		{"host=db password='s3cret pw' dbname=ops", "host=db password=xxxxx dbname=ops"},
		{"postgres://app:s3cret-pw@db:bad-port/ops", "postgres://app:xxxxx@db:bad-port/ops"},
		{"postgres://app@db/ops", "postgres://app@db/ops"},
	} {
		if got := postgres.Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestErrorsNeverHoldThePassword connects where nothing listens, and to
// a string that does not parse, and checks the errors.
func TestErrorsNeverHoldThePassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, dsn := range []string{
		"postgres://app:Pw-0f-s3cret@" + addr + "/ops?sslmode=disable&connect_timeout=2",
		"postgres://app:Pw-0f-s3cret@" + addr + "/ops?sslmode=bogus",
		"host=127.0.0.1 port=" + strings.Split(addr, ":")[1] + " user=app password=Pw-0f-s3cret connect_timeout=2",
	} {
		_, err := postgres.Open(ctx, postgres.Config{URL: dsn})
		if err == nil {
			t.Fatalf("Open(%s) succeeded", postgres.Mask(dsn))
		}
		if strings.Contains(err.Error(), "Pw-0f-s3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "xxxxx") {
			t.Errorf("the error does not name the database (masked): %v", err)
		}
	}
}

// TestAnAtInThePasswordIsNotShown: a password holding an '@' not written
// %40 was cut by the driver at its first '@', and its end, taken for the
// host, was shown in the error. Now the string is refused before it is
// parsed, saying how to write it, without showing the password.
func TestAnAtInThePasswordIsNotShown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, dsn := range []string{
		"postgres://app:Pw0@s3cret@127.0.0.1:1/ops?sslmode=disable&connect_timeout=2",
		"postgresql://app:Pw0@s3cret:tail@127.0.0.1:1/ops?sslmode=disable",
		"postgres://app@Pw0:s3cret@127.0.0.1:1?sslmode=disable",
	} {
		_, err := postgres.Open(ctx, postgres.Config{URL: dsn})
		if err == nil {
			t.Fatalf("Open(%s) succeeded", postgres.Mask(dsn))
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "tail") {
			t.Errorf("the error shows part of the password: %v", err)
		}
		if !strings.Contains(err.Error(), "%40") {
			t.Errorf("the error does not say to write the '@' as %%40: %v", err)
		}
		_, err = postgres.LockScheduler(ctx, dsn)
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "%40") {
			t.Errorf("LockScheduler(%s): %v", postgres.Mask(dsn), err)
		}
	}
}

// TestMigrateOnceUnderTheLock starts several processes' worth of Open at
// once on an empty database: each migration is applied exactly once.
func TestMigrateOnceUnderTheLock(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	applied := make([]int, 6)
	errs := make([]error, 6)
	for i := range applied {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(ctx, dsn)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			applied[i], errs[i] = postgres.Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migration %d: %v", i, err)
		}
		total += applied[i]
	}
	if total != postgres.SchemaVersion {
		t.Errorf("%d migrations applied in all, want %d (each once)", total, postgres.SchemaVersion)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st, err := postgres.ReadStatus(ctx, pool)
	if err != nil || st.Version != postgres.SchemaVersion || st.Pending() != 0 {
		t.Errorf("status after migrating: %+v, %v", st, err)
	}
}

// TestSilentOwnerIsInterrupted: a process whose heartbeat is older than
// the lease (it was killed, or lost the database) has its running runs
// interrupted by the others, while it is not closed.
func TestSilentOwnerIsInterrupted(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, postgres.Config{URL: dsn, Lease: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	if err := a.RecordStart(ctx, history.Run{ID: "r", Playbook: "pb"}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.MarkInterrupted(ctx); err != nil || n != 0 {
		t.Fatalf("a live owner's run: marked %d, %v", n, err)
	}
	if _, err := b.Pool().Exec(ctx, `UPDATE owners SET heartbeat_at = now() - interval '1 minute' WHERE owner = $1`, a.Owner()); err != nil {
		t.Fatal(err)
	}
	if n, err := b.MarkInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("a silent owner's run: marked %d, %v; want 1", n, err)
	}
	run, err := b.Get(ctx, "r")
	if err != nil || run.Status != history.StatusInterrupted {
		t.Fatalf("run: %+v, %v", run, err)
	}
}

// TestPauseFlags pauses, lists and resumes a schedule, as the SQLite
// store does: a second pause keeps the first, resuming returns it.
func TestPauseFlags(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.DSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, took, err := s.PauseSchedule(ctx, history.Pause{Playbook: "backup", By: "alice"}); err != nil || !took {
		t.Fatalf("pause: %v, %v", took, err)
	}
	if held, took, err := s.PauseSchedule(ctx, history.Pause{Playbook: "backup", By: "bob"}); err != nil || took || held.By != "alice" {
		t.Fatalf("pausing again: %+v, %v, %v; want alice's pause kept", held, took, err)
	}
	p, err := s.Pauses(ctx)
	if err != nil || len(p) != 1 || p["backup"].By != "alice" {
		t.Fatalf("Pauses = %+v, %v", p, err)
	}
	if ended, err := s.ResumeSchedule(ctx, "backup"); err != nil || ended.By != "alice" {
		t.Fatalf("resume: %+v, %v", ended, err)
	}
	if _, err := s.ResumeSchedule(ctx, "backup"); !errors.Is(err, history.ErrNotPaused) {
		t.Errorf("resuming a running schedule: %v, want ErrNotPaused", err)
	}
	if p, _ := s.Pauses(ctx); len(p) != 0 {
		t.Errorf("after resuming: %+v", p)
	}
}

// TestSharedKeysAtOnce: replicas starting together on a new database all
// get the one key that won, never an error: an insert that loses to one
// committed after its statement began finds no row at first.
func TestSharedKeysAtOnce(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DSN(t)
	stores := make([]*postgres.Store, 8)
	for i := range stores {
		s, err := postgres.Open(ctx, postgres.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	for _, get := range []func(*postgres.Store) ([]byte, error){
		func(s *postgres.Store) ([]byte, error) { return s.SessionKey(ctx) },
		func(s *postgres.Store) ([]byte, error) { return s.ReportKey(ctx) },
		func(s *postgres.Store) ([]byte, error) { return s.QueueKey(ctx) },
	} {
		keys := make([][]byte, 4*len(stores))
		errs := make([]error, len(keys))
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() { keys[i], errs[i] = get(stores[i%len(stores)]) })
		}
		wg.Wait()
		for i := range keys {
			if errs[i] != nil || len(keys[i]) != 32 || string(keys[i]) != string(keys[0]) {
				t.Fatalf("caller %d: %x, %v; want the key of caller 0, %x", i, keys[i], errs[i], keys[0])
			}
		}
	}
}

// TestAPasswordTheDriverCutsIsNotShown: the driver ends a URL's user info
// at the first '@' before a '/', whatever '?' or '#' come first, and a
// password holding a '/' has no user info at all for it: the end of the
// password was shown, as the host or in the driver's quote of the URL.
func TestAPasswordTheDriverCutsIsNotShown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://app:Pw0?x@s3cret@127.0.0.1:1/ops?sslmode=disable&connect_timeout=2", "%40"},
		{"postgresql://app:Pw0#x@s3cret@127.0.0.1:1/ops?sslmode=disable&connect_timeout=2", "%40"},
		{"postgres://app:Pw0/x@s3cret@127.0.0.1:1/ops?sslmode=disable&connect_timeout=2", "%2F"},
		{"postgres://app:Pw0/x@s3cret:tail@127.0.0.1:1/ops?sslmode=disable&connect_timeout=2", "%2F"},
	} {
		_, err := postgres.Open(ctx, postgres.Config{URL: tc.dsn})
		if err == nil {
			t.Fatalf("Open(%s) succeeded", postgres.Mask(tc.dsn))
		}
		for _, part := range []string{"Pw0", "s3cret", "tail"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("Open(%s): the error shows %q of the password: %v", postgres.Mask(tc.dsn), part, err)
			}
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s): the error does not say to write %s: %v", postgres.Mask(tc.dsn), tc.want, err)
		}
		_, err = postgres.LockScheduler(ctx, tc.dsn)
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LockScheduler(%s): %v", postgres.Mask(tc.dsn), err)
		}
	}
}

// TestABadConnectionStringSaysHowToWriteIt: postgres://db:5x/x said only
// "invalid port"; the error now says what a port is and where it goes,
// and any other string the driver cannot parse shows the form to write.
func TestABadConnectionStringSaysHowToWriteIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for dsn, want := range map[string]string{
		"postgres://db:5x/x":        "postgres://db:5x/x: not a PostgreSQL connection string: invalid port; give the port after the host as a number from 1 to 65535 (postgres://USER@HOST:5432/DB), or leave it out for 5432",
		"postgres://db/x?sslmode=x": "sslmode is invalid); give sslmode one of disable, allow, prefer, require, verify-ca or verify-full",
		"postgres://[db/x":          "; write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAM=VALUE&...] (see docs/ha.md)",
	} {
		_, err := postgres.Open(ctx, postgres.Config{URL: dsn})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v; want it to hold %q", dsn, err, want)
		}
	}
}
