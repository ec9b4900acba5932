package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestDurationFlagsAskForAUnit: a duration without its unit names the
// flag and the value, and shows one with a unit.
func TestDurationFlagsAskForAUnit(t *testing.T) {
	for _, flag := range []string{"--lease", "--grace"} {
		r := runMain(t, "serve", flag, "30")
		if r.code != ExitUsage || !strings.Contains(r.stderr, flag+`: "30" is not a duration`) || !strings.Contains(r.stderr, "like 30s") {
			t.Errorf("serve %s 30: exit %d\n%s", flag, r.code, r.stderr)
		}
	}
}

// TestStateErrorsNameTheDatabaseOnce: a database that cannot be reached
// is named once, as given: --state URL, or $ARSENAL_STATE=URL when the
// URL came from there; a URL with no database is refused as such.
func TestStateErrorsNameTheDatabaseOnce(t *testing.T) {
	dir := t.TempDir()
	down := "postgres://app:" + secret + "@127.0.0.1:1/ops?connect_timeout=2"
	f := newServeFixture(t)
	serve := []string{"serve", "--keys", f.keys, "--playbooks", f.playbooks, "--audit-log", filepath.Join(dir, "audit.log"), "--listen", "127.0.0.1:0"}
	r := runMain(t, append(serve, "--state", down)...)
	noSecret(t, "serve", r)
	if n := strings.Count(r.stderr, "127.0.0.1:1/ops"); n != 1 || !strings.Contains(r.stderr, "--state postgres://app:xxxxx@127.0.0.1:1/ops") {
		t.Errorf("serve --state of a database that is down names it %d times:\n%s", n, r.stderr)
	}
	r = runMain(t, append(serve, "--state", "postgres://")...)
	if r.code != ExitUsage || strings.Contains(r.stderr, "postgres::") || !strings.Contains(r.stderr, "names no database") {
		t.Errorf("serve --state postgres://: exit %d\n%s", r.code, r.stderr)
	}
	t.Setenv("ARSENAL_STATE", down)
	r = runMain(t, serve...)
	noSecret(t, "serve with $ARSENAL_STATE", r)
	if strings.Contains(r.stderr, "--state ") || !strings.Contains(r.stderr, "$ARSENAL_STATE=postgres://app:xxxxx@127.0.0.1:1/ops") {
		t.Errorf("serve with $ARSENAL_STATE of a database that is down:\n%s", r.stderr)
	}
}

// TestMigrateWithoutTheRightToCreateTables: 'store migrate' as a role
// that may not create tables says what to do.
func TestMigrateWithoutTheRightToCreateTables(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DO $$ BEGIN CREATE ROLE reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
		`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)
	weak := strings.Replace(url, "postgres:"+secret+"@", "reader:"+secret+"@", 1)
	r := runMain(t, "store", "migrate", "--state", weak)
	noSecret(t, "store migrate", r)
	if r.code != ExitFailed || !strings.Contains(r.stderr, "42501") || !strings.Contains(r.stderr, "may not create tables") ||
		!strings.Contains(r.stderr, "store migrate' again with the URL of a role that may") {
		t.Errorf("store migrate as a role that may not create tables: exit %d\n%s", r.code, r.stderr)
	}
}
