package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestConnectToASilentServerEnds: a server that takes the connection but
// never answers (no connect_timeout in the connection string) fails the
// connection once the default timeout has passed, saying so; it held it
// for ever, and serve's start-up with it.
func TestConnectToASilentServerEnds(t *testing.T) {
	addr, _ := pgtest.Silent(t)
	// The test's own bound: the connection must end well before it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := connect(ctx, "postgres://app:pw@"+addr+"/ops?sslmode=disable", 1, 300*time.Millisecond)
	if err == nil {
		t.Fatal("connected to a server that never answers")
	}
	if ctx.Err() != nil {
		t.Fatalf("the connection waited for the test's own bound: %v", err)
	}
	if !strings.Contains(err.Error(), "gave no answer within 300ms") {
		t.Errorf("the error does not say the server gave no answer: %v", err)
	}
}

// TestARefusedConnectionSaysWhatToDo: a missing database, or a user the
// server does not know, printed pgx's every attempt, the first of them
// "tls error: server refused TLS connection" (sslmode=prefer tries TLS
// first), and no advice. The error is now the server's refusal alone,
// with what to do for its SQLSTATE, and never the password.
func TestARefusedConnectionSaysWhatToDo(t *testing.T) {
	c := pgtest.Shared(t)
	ctx := context.Background()
	for _, tc := range []struct {
		user, db string
		want     []string
	}{
		{"postgres", "no_such_db", []string{`database "no_such_db" does not exist (SQLSTATE 3D000)`, "create the database"}},
		{"no_such_user", "postgres", []string{`role "no_such_user" does not exist (SQLSTATE 28000)`, "pg_hba.conf"}},
	} {
		url := fmt.Sprintf("postgres://%s:s3cret-pw@127.0.0.1:%d/%s?sslmode=prefer", tc.user, c.Port(), tc.db)
		_, err := connect(ctx, url, 1, 10*time.Second)
		if err == nil {
			t.Fatalf("%s on %s: connected", tc.user, tc.db)
		}
		msg := err.Error()
		for _, w := range append(tc.want, "cannot connect: the server refused user", ":xxxxx@") {
			if !strings.Contains(msg, w) {
				t.Errorf("%s on %s: the error does not say %q: %s", tc.user, tc.db, w, msg)
			}
		}
		if strings.Contains(msg, "TLS") || strings.Contains(msg, "\n") || strings.Contains(msg, "s3cret-pw") {
			t.Errorf("%s on %s: the error is not the refusal alone, in one line, without the password: %s", tc.user, tc.db, msg)
		}
	}
}

// TestAWrongPasswordSaysWhereThePasswordComesFrom: the advice for each
// refusal a server gives at connection.
func TestAWrongPasswordSaysWhereThePasswordComesFrom(t *testing.T) {
	cfg := &pgconn.Config{User: "arsenal", Database: "arsenal"}
	for code, want := range map[string]string{
		"28P01": "check the password (in the URL, $PGPASSWORD or ~/.pgpass",
		"42501": "GRANT CONNECT ON DATABASE",
		"53300": "max_connections",
		"57P03": "try again in a moment",
	} {
		wrapped := fmt.Errorf("attempts: %w", errors.Join(errors.New("tls error: server refused TLS connection"),
			&pgconn.PgError{Severity: "FATAL", Code: code, Message: "refused"}))
		msg, ok := refusal(wrapped, cfg)
		if !ok || !strings.Contains(msg, want) || !strings.Contains(msg, "(SQLSTATE "+code+")") || strings.Contains(msg, "TLS") {
			t.Errorf("%s: %q, %v; want the refusal and %q", code, msg, ok, want)
		}
	}
	if _, ok := refusal(errors.New("dial tcp: connection refused"), cfg); ok {
		t.Error("a server not reached is taken for a refusal")
	}
}

// TestAnUnreachedServerSaysWhatToDo: a URL whose port nothing listens on,
// or whose host does not resolve, printed pgx's every attempt over
// several lines (the same refused address twice under sslmode=prefer)
// and no advice. The error is now one line that names the address and
// what to check, for the pool and for the scheduler's lock alike.
func TestAnUnreachedServerSaysWhatToDo(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		want []string
	}{
		{"postgres://app:s3cret-pw@" + addr + "/ops", []string{"cannot connect: no PostgreSQL server answers at " + addr + " (connection refused)", "check the host and port in the URL"}},
		{"postgres://app:s3cret-pw@no-such-host.invalid/ops", []string{`cannot connect: the host "no-such-host.invalid" cannot be resolved`, "check the host name in the URL"}},
	} {
		_, err := connect(ctx, tc.url, 1, 10*time.Second)
		_, lockErr := LockScheduler(ctx, tc.url)
		for _, err := range []error{err, lockErr} {
			if err == nil {
				t.Fatalf("%s: connected", tc.url)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%s: the error does not say %q: %s", tc.url, w, msg)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "s3cret-pw") {
				t.Errorf("%s: the error is not one line without the password: %q", tc.url, msg)
			}
		}
	}
}

// TestSchedulerLockOnASilentServerEnds: the scheduler lock's connection
// (schedule's start-up, a serve replica's try for the leadership) had no
// connect timeout: on a server that takes the connection and never
// answers it waited for ever, saying nothing. It ends as Connect's does.
func TestSchedulerLockOnASilentServerEnds(t *testing.T) {
	addr, _ := pgtest.Silent(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := lockScheduler(ctx, "postgres://app:pw@"+addr+"/ops?sslmode=disable", 300*time.Millisecond)
	if err == nil {
		t.Fatal("locked on a server that never answers")
	}
	if ctx.Err() != nil {
		t.Fatalf("the connection waited for the test's own bound: %v", err)
	}
	if !strings.Contains(err.Error(), "gave no answer within 300ms") {
		t.Errorf("the error does not say the server gave no answer: %v", err)
	}
}

// TestASlowConnectionSaysWhatItWaitsForAndStops: a connection to a server
// that never answers said nothing until its timeout, and Ctrl-C could not
// end it (it waited out the timeout, 15 s by default, for each try). It
// now says, after a moment, which server it waits for, without the
// password, and ends as soon as its context does: the pool's and the
// scheduler lock's alike.
func TestASlowConnectionSaysWhatItWaitsForAndStops(t *testing.T) {
	defer func(d time.Duration) { connectNotice = d }(connectNotice)
	connectNotice = 50 * time.Millisecond
	addr, _ := pgtest.Silent(t)
	url := "postgres://app:s3cret-pw@" + addr + "/ops?sslmode=disable"
	for name, try := range map[string]func(ctx context.Context) error{
		"pool": func(ctx context.Context) error { _, err := connect(ctx, url, 1, time.Hour); return err },
		"lock": func(ctx context.Context) error { _, err := lockScheduler(ctx, url, time.Hour); return err },
	} {
		// The test's own bound: the connection must end well before it.
		bound, cancelBound := context.WithTimeout(context.Background(), time.Minute)
		ctx, interrupt := context.WithCancel(bound)
		var said []string
		// The notice is the moment a person presses Ctrl-C.
		err := try(WithNotice(ctx, func(msg string) { said = append(said, msg); interrupt() }))
		interrupt()
		if bound.Err() != nil {
			t.Fatalf("%s: the connection waited for the test's own bound: %v", name, err)
		}
		cancelBound()
		if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("%s: the error is not a stop without the password: %v", name, err)
		}
		if len(said) != 1 || !strings.Contains(said[0], "waiting for the PostgreSQL server at "+addr+" to answer") {
			t.Errorf("%s: notices %q, want one naming %s", name, said, addr)
		}
	}
}
