package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// secret is the password every PostgreSQL URL of these tests carries; the
// test server trusts local connections, so any password connects, and
// none may ever be printed.
const secret = "Sup3r-s3cret-pw"

// pgURL is a new database's URL with the password in it.
func pgURL(t *testing.T) string {
	return strings.Replace(pgtest.DSN(t), "postgres@", "postgres:"+secret+"@", 1)
}

// noSecret fails the test when any output shows the password.
func noSecret(t *testing.T, what string, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("%s shows the database password:\n%s%s", what, r.stdout, r.stderr)
	}
}

// TestRunHistoryStatsAndResumeOnPostgres records runs in PostgreSQL with
// the reports kept in the database, reads them back with history, stats
// and history show, resumes a failed run by id from its stored report,
// and checks that no output shows the password.
func TestRunHistoryStatsAndResumeOnPostgres(t *testing.T) {
	url := pgURL(t)
	dir := t.TempDir()
	flag := filepath.Join(dir, "fixed")
	pb := writePlaybook(t, dir, "flaky.yaml", `version: 1
name: flaky
steps:
  - {id: first, op: control.noop}
  - id: must
    op: file.read
    with: {path: "`+flag+`"}
`)
	st := runMain(t, "store", "status", "--state", url)
	noSecret(t, "store status", st)
	if st.code != ExitOK || !strings.Contains(st.stdout, "schema version: 0") || !strings.Contains(st.stdout, "xxxxx") {
		t.Fatalf("store status of an empty database: exit %d\n%s%s", st.code, st.stdout, st.stderr)
	}
	mig := runMain(t, "store", "migrate", "--state", url)
	noSecret(t, "store migrate", mig)
	if mig.code != ExitOK || !strings.Contains(mig.stdout, fmt.Sprintf("applied %d migrations", postgres.SchemaVersion)) {
		t.Fatalf("store migrate: exit %d\n%s%s", mig.code, mig.stdout, mig.stderr)
	}

	failed := runMain(t, "run", pb, "--state", url)
	noSecret(t, "run", failed)
	if failed.code != ExitFailed {
		t.Fatalf("the first run: exit %d, want %d\n%s", failed.code, ExitFailed, failed.stderr)
	}
	list := runMain(t, "history", "--state", url, "--json")
	noSecret(t, "history", list)
	var runs []struct {
		ID, Status, ReportPath string
	}
	if err := json.Unmarshal([]byte(list.stdout), &runs); err != nil || len(runs) != 1 || runs[0].Status != "failed" {
		t.Fatalf("history --json: %v\n%s%s", err, list.stdout, list.stderr)
	}
	if runs[0].ReportPath != "" {
		t.Errorf("the report went to a file (%s); without --report-dir it is kept in the database", runs[0].ReportPath)
	}
	show := runMain(t, "history", "show", runs[0].ID, "--state", url)
	noSecret(t, "history show", show)
	if show.code != ExitOK || !strings.Contains(show.stdout, "must") {
		t.Errorf("history show: exit %d\n%s%s", show.code, show.stdout, show.stderr)
	}

	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	resumed := runMain(t, "run", pb, "--state", url, "--resume", runs[0].ID)
	noSecret(t, "run --resume", resumed)
	if resumed.code != ExitOK {
		t.Fatalf("resume by run id from the stored report: exit %d\n%s", resumed.code, resumed.stderr)
	}
	stats := runMain(t, "stats", "--state", url, "--json")
	noSecret(t, "stats", stats)
	var got struct {
		Operations []struct {
			Op    string
			Count int
		}
	}
	if err := json.Unmarshal([]byte(stats.stdout), &got); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, stats.stdout)
	}
	counts := map[string]int{}
	for _, o := range got.Operations {
		counts[o.Op] = o.Count
	}
	// The resumed run reused first; it ran only must again.
	if counts["control.noop"] != 1 || counts["file.read"] != 2 {
		t.Errorf("stats counts %v; want control.noop 1 and file.read 2", counts)
	}
	cache := runMain(t, "cache", "list", "--state", url)
	noSecret(t, "cache list", cache)
	if cache.code != ExitOK {
		t.Errorf("cache list: exit %d\n%s", cache.code, cache.stderr)
	}
}

// TestReportDirOnPostgres writes the reports as files in a shared folder.
func TestReportDirOnPostgres(t *testing.T) {
	url := pgURL(t)
	dir := t.TempDir()
	reports := filepath.Join(dir, "shared-reports")
	pb := writePlaybook(t, dir, "ok.yaml", "version: 1\nname: ok\nsteps:\n  - {id: a, op: control.noop}\n")
	r := runMain(t, "run", pb, "--state", url, "--report-dir", reports)
	noSecret(t, "run", r)
	if r.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(reports, "*.json"))
	if len(files) != 1 {
		t.Errorf("reports in the shared folder: %v, want one", files)
	}
}

// TestStateFlagsAndMaskedErrors: bad combinations are usage errors, and a
// database that cannot be reached is named with its password masked.
func TestStateFlagsAndMaskedErrors(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "ok.yaml", "version: 1\nname: ok\nsteps:\n  - {id: a, op: control.noop}\n")
	down := "postgres://app:" + secret + "@127.0.0.1:1/ops?connect_timeout=2"
	for _, args := range [][]string{
		{"history", "--state", down},
		{"stats", "--state", down},
		{"run", pb, "--state", down},
		{"store", "status", "--state", down},
		{"history", "--state", down, "--state-dir", dir},
		{"history", "--state", "/var/lib/arsenal"},
		{"run", pb, "--state-dir", dir, "--report-dir", dir},
	} {
		r := runMain(t, args...)
		noSecret(t, strings.Join(args[:1], " "), r)
		if r.code == ExitOK {
			t.Errorf("%v: exit 0, want an error", args)
		}
	}
	f := newServeFixture(t)
	srv := runMain(t, "serve", "--keys", f.keys, "--playbooks", f.playbooks, "--state", down, "--audit-log", filepath.Join(dir, "audit.log"), "--listen", "127.0.0.1:0")
	noSecret(t, "serve", srv)
	if srv.code == ExitOK || !strings.Contains(srv.stderr, "xxxxx") {
		t.Errorf("serve on a database that is down: exit %d\n%s", srv.code, srv.stderr)
	}
	t.Setenv("ARSENAL_STATE", down)
	r := runMain(t, "history")
	noSecret(t, "history with $ARSENAL_STATE", r)
	if r.code == ExitOK || !strings.Contains(r.stderr, "xxxxx") {
		t.Errorf("history with $ARSENAL_STATE of a database that is down: exit %d\n%s", r.code, r.stderr)
	}
}
