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
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// TestAMissingPrivilegeSaysWhatToGrant: a role that lost a privilege on a
// table (an administrator's REVOKE, a grant forgotten for a new table)
// made the replicas log "permission denied for table runs" for every run
// and nothing more. The error now says what to grant, and where the docs
// tell it.
func TestAMissingPrivilegeSaysWhatToGrant(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	owner, err := postgres.Open(ctx, postgres.Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	owner.Close()
	role := fmt.Sprintf("limited_%d", os.Getpid())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		"DROP ROLE IF EXISTS " + role,
		"CREATE ROLE " + role + " LOGIN",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
		"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO " + role,
		"REVOKE INSERT ON runs FROM " + role,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP OWNED BY "+role)
		c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	})
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
	err = st.RecordStart(ctx, history.Run{ID: "r1", Playbook: "p", Status: history.StatusRunning})
	if err == nil {
		t.Fatal("a run was recorded without the INSERT privilege")
	}
	if !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), "grant it SELECT, INSERT, UPDATE and DELETE") || !strings.Contains(err.Error(), "docs/ha.md") {
		t.Errorf("the error does not say what to grant: %v", err)
	}
}
