package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// TestCheckPrivilegesCoversSequences: the grant advice names USAGE on the
// sequences, and a role without it cannot queue a run (river_job's id is
// a bigserial: "permission denied for sequence river_job_id_seq"), but
// the check looked at tables only and said the role was fine. It now
// names the sequence; an identity column's sequence, which needs no
// privilege, is not asked for.
func TestCheckPrivilegesCoversSequences(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	owner, err := postgres.Open(ctx, postgres.Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	owner.Close()
	role := fmt.Sprintf("noseq_%d", os.Getpid())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP OWNED BY "+role)
		conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	})
	for _, q := range []string{
		"DROP ROLE IF EXISTS " + role,
		"CREATE ROLE " + role + " LOGIN",
		// As the queue's migration makes it: a serial id.
		"CREATE TABLE river_job (id bigserial PRIMARY KEY, kind text NOT NULL)",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	st, err := postgres.Open(ctx, postgres.Config{URL: u.String(), NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Pool().Exec(ctx, "INSERT INTO river_job (kind) VALUES ('run')"); err == nil || !strings.Contains(err.Error(), "permission denied for sequence river_job_id_seq") {
		t.Fatalf("an insert without USAGE on the sequence: %v", err)
	}
	err = st.CheckPrivileges(ctx)
	want := fmt.Sprintf("the role %q of --state may not USAGE on the sequence river_job_id_seq (of river_job), so runs cannot be recorded; grant it", role)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "USAGE and SELECT on their sequences") {
		t.Fatalf("CheckPrivileges = %v; want it to hold %q and the grant advice", err, want)
	}
	if strings.Contains(err.Error(), "steps_seq_seq") || strings.Contains(err.Error(), "concurrency_id_seq") {
		t.Errorf("CheckPrivileges asks for an identity column's sequence, which needs no privilege: %v", err)
	}
	if _, err := conn.Exec(ctx, "GRANT USAGE ON SEQUENCE river_job_id_seq TO "+role); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckPrivileges(ctx); err != nil {
		t.Errorf("CheckPrivileges after the grant: %v", err)
	}
}
