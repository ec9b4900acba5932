package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
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

// weakRole makes the role reader, which may read and write the tables
// already in the database of url but create none, and returns url with
// it in place of the owner.
func weakRole(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`DO $$ BEGIN CREATE ROLE reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
		`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO reader`,
		`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO reader`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return strings.Replace(url, "postgres:"+secret+"@", "reader:"+secret+"@", 1)
}

// TestStoreStatusCountsTheQueueTables: a database whose schema is current
// but whose run queue's tables are not (one that only run --state used)
// is not "up to date": serve would have to migrate them on start, which
// a role that may not create tables cannot, and then says what to do.
func TestStoreStatusCountsTheQueueTables(t *testing.T) {
	url := pgURL(t)
	pool, err := postgres.Connect(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Migrate(context.Background(), pool)
	pool.Close()
	if err != nil {
		t.Fatal(err)
	}
	weak := weakRole(t, url)
	r := runMain(t, "store", "status", "--state", weak)
	if r.code != ExitOK || strings.Contains(r.stdout, "up to date") || !strings.Contains(r.stdout, "of the run queue's tables; run 'arsenal-run store migrate'") {
		t.Errorf("store status of a database without the run queue's tables: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runMain(t, "store", "status", "--state", weak, "--json")
	var st struct {
		Pending      *int `json:"pending"`
		QueuePending *int `json:"queue_pending"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Pending == nil || *st.Pending != 0 || st.QueuePending == nil || *st.QueuePending == 0 {
		t.Errorf("store status --json: %v\n%s", err, r.stdout)
	}

	f := newServeFixture(t)
	r = runMain(t, "serve", "--keys", f.keys, "--state", weak, "--audit-log", filepath.Join(t.TempDir(), "audit.log"), "--listen", "127.0.0.1:0")
	noSecret(t, "serve", r)
	if r.code == ExitOK || !strings.Contains(r.stderr, "42501") || !strings.Contains(r.stderr, "run 'arsenal-run store migrate --state URL' with a role that may") {
		t.Errorf("serve as a role that may not create the run queue's tables: exit %d\n%s", r.code, r.stderr)
	}

	if r := runMain(t, "store", "migrate", "--state", url); r.code != ExitOK {
		t.Fatalf("store migrate: exit %d\n%s", r.code, r.stderr)
	}
	weakRole(t, url) // grants the new tables too
	r = runMain(t, "store", "status", "--state", weak)
	if r.code != ExitOK || !strings.Contains(r.stdout, "up to date") {
		t.Errorf("store status after store migrate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestMigrateWithNothingPendingNeedsNoRightToCreate: 'store migrate' as
// a role that may not create tables, on a database the owner migrated,
// has nothing to do and succeeds, so that a deploy may run it with the
// replicas' role.
func TestMigrateWithNothingPendingNeedsNoRightToCreate(t *testing.T) {
	url := pgURL(t)
	if r := runMain(t, "store", "migrate", "--state", url); r.code != ExitOK {
		t.Fatalf("store migrate as the owner: exit %d\n%s", r.code, r.stderr)
	}
	weak := weakRole(t, url)
	r := runMain(t, "store", "migrate", "--state", weak)
	if r.code != ExitOK || !strings.Contains(r.stdout, "applied 0 migrations") {
		t.Errorf("store migrate with nothing pending, as a role that may not create tables: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRunAndScheduleNameTheDatabaseOnce: run and schedule name a
// database that cannot be reached, or whose scheduler lock another
// scheduler holds, once, as serve does: --state URL, or
// $ARSENAL_STATE=URL when the URL came from there; never the password.
func TestRunAndScheduleNameTheDatabaseOnce(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: nightly\nschedule: {cron: \"30 2 * * *\"}\nsteps:\n  - id: a\n    op: shell.exec\n    with: {command: [\"true\"]}\n")
	down := "postgres://app:" + secret + "@127.0.0.1:1/ops?connect_timeout=2"
	masked := "postgres://app:xxxxx@127.0.0.1:1/ops"
	for _, cmd := range [][]string{{"run", pb}, {"schedule", pb}} {
		r := runMain(t, append(cmd, "--state", down)...)
		noSecret(t, cmd[0], r)
		if n := strings.Count(r.stderr, "127.0.0.1:1/ops"); r.code != ExitUsage || n != 1 || !strings.Contains(r.stderr, "--state "+masked) {
			t.Errorf("%s --state of a database that is down: exit %d, named %d times:\n%s", cmd[0], r.code, n, r.stderr)
		}
		t.Setenv("ARSENAL_STATE", down)
		r = runMain(t, cmd...)
		os.Unsetenv("ARSENAL_STATE")
		noSecret(t, cmd[0]+" with $ARSENAL_STATE", r)
		if n := strings.Count(r.stderr, "127.0.0.1:1/ops"); n != 1 || !strings.Contains(r.stderr, "$ARSENAL_STATE="+masked) {
			t.Errorf("%s with $ARSENAL_STATE of a database that is down: named %d times:\n%s", cmd[0], n, r.stderr)
		}
	}

	url := pgURL(t)
	lock, err := postgres.LockScheduler(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	r := runMain(t, "schedule", pb, "--state", url)
	noSecret(t, "schedule", r)
	db := strings.TrimPrefix(postgres.Mask(url), "postgres://postgres:xxxxx@")
	if n := strings.Count(r.stderr, db); r.code != ExitUsage || n != 1 || !strings.Contains(r.stderr, "is running on --state "+postgres.Mask(url)+"; stop it first") {
		t.Errorf("schedule while another scheduler holds the lock: exit %d, named %d times:\n%s", r.code, n, r.stderr)
	}
}
