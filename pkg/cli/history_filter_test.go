package cli

import (
	"bytes"
	"database/sql"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// TestHistoryFilterMatchingNothing: a filter that matches no run says so,
// not "no runs recorded", and a playbook name the history does not have
// gets a suggestion and the names it does have; a full page says how to
// see more.
func TestHistoryFilterMatchingNothing(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "quick.yaml", "version: 1\nname: quick\nsteps:\n  - {id: a, op: control.noop}\n")
	for range 2 {
		if res := runMain(t, "run", pb, "--state-dir", state); res.code != ExitOK {
			t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
		}
	}
	res := runMain(t, "history", "--state-dir", state, "--playbook", "quik")
	if want := "no runs match --playbook quik (did you mean \"quick\"?); the latest runs are of quick\n"; res.stdout != want || res.code != ExitOK {
		t.Errorf("a misspelt playbook: exit %d, stdout %q, want %q", res.code, res.stdout, want)
	}
	res = runMain(t, "history", "--state-dir", state, "--playbook", "quick", "--status", "failed")
	if want := "no runs match --playbook quick --status failed\n"; res.stdout != want {
		t.Errorf("no failed runs: stdout %q, want %q", res.stdout, want)
	}
	res = runMain(t, "history", "--state-dir", state, "--status", "failed", "--since", "1d12h")
	if want := "no runs match --status failed --since 1d12h\n"; res.stdout != want {
		t.Errorf("no failed runs since: stdout %q, want %q", res.stdout, want)
	}
	res = runMain(t, "history", "--state-dir", state, "--limit", "1")
	if !strings.Contains(res.stderr, "the latest 1 run shown; give --limit N for more") || !strings.Contains(res.stdout, "quick") {
		t.Errorf("a full page: stdout %q, stderr %q", res.stdout, res.stderr)
	}
	if res := runMain(t, "history", "--state-dir", state); strings.Contains(res.stderr, "--limit") {
		t.Errorf("two runs under the default limit: stderr %q", res.stderr)
	}
}

// TestHistoryFlagsAsTyped: a misspelt subcommand is suggested, flags
// written before show are told to go after it, a status
// or trigger in upper case is taken (as --log-level WARN is), and a
// --since beyond what a duration holds says it is too long and what the
// longest is.
func TestHistoryFlagsAsTyped(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	runMain(t, "run", writePlaybook(t, dir, "quick.yaml", quick), "--state-dir", state).want(t, ExitOK, nil, nil)
	runMain(t, "history", "shwo", "--state-dir", state).want(t, ExitUsage, nil,
		[]string{`unknown subcommand "shwo" (did you mean "show"?): write it as 'history show RUN_ID'`})
	runMain(t, "history", "--state-dir", state, "show", "x").want(t, ExitUsage, nil,
		[]string{`'show' comes first, its flags after it: write 'history show RUN_ID --state-dir DIR'`})
	runMain(t, "history", "--state-dir", state, "--status", "SUCCEEDED", "--trigger", "CLI").want(t, ExitOK, []string{"quick"}, nil)
	runMain(t, "history", "--state-dir", state, "--status", "Failed").want(t, ExitOK, []string{"no runs match --status failed"}, nil)
	runMain(t, "history", "--state-dir", state, "--since", "10000000d").want(t, ExitUsage, nil,
		[]string{`--since: "10000000d" is too long; the longest is 106751d (about 292 years)`})
	runMain(t, "history", "--state-dir", state, "--since", "106751d").want(t, ExitOK, []string{"quick"}, nil)
	runMain(t, "history", "--state-dir", state, "--since", "soon").want(t, ExitUsage, nil, []string{`"soon" is neither how long ago nor an RFC 3339 time`})
}

// TestHistoryPlaybookGivenAsFile: --playbook given a playbook's file
// lists the runs of the name: it declares, and says so; a path that is no
// playbook says the flag takes the name, which no path can be.
func TestHistoryPlaybookGivenAsFile(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "deploy.yaml", "version: 1\nname: rollout\nsteps:\n  - {id: a, op: control.noop}\n")
	runMain(t, "run", pb, "--state-dir", state).want(t, ExitOK, nil, nil)
	runMain(t, "history", "--state-dir", state, "--playbook", pb).want(t, ExitOK, []string{"rollout", "succeeded"},
		[]string{"arsenal-run history: --playbook " + pb + ` is a playbook file: listing the runs of "rollout", the name: it declares (--playbook takes that name)`})
	res := runMain(t, "history", "--state-dir", state, "--playbook", filepath.Join(dir, "missing.yaml"))
	if want := "; --playbook takes the name: a playbook declares, not its file\n"; res.code != ExitOK || !strings.HasSuffix(res.stdout, want) {
		t.Errorf("a path that is no playbook: exit %d, stdout %q, want it to end in %q", res.code, res.stdout, want)
	}
}

// TestHistoryStoreErrorExitsOne: a store that fails while reading (here a
// history.db whose runs table lost a column) makes history and stats exit
// 1, saying why, and their help lists that exit code.
func TestHistoryStoreErrorExitsOne(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	s, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", filepath.Join(state, history.FileName))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`ALTER TABLE runs RENAME COLUMN playbook TO pb`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"history", "stats"} {
		runMain(t, cmd, "--state-dir", state).want(t, ExitFailed, nil, []string{cmd + ": reading the recorded runs failed: ", "no such column: playbook", "restore the database from a backup"})
		if r := runMain(t, cmd, "--state-dir", state); strings.Contains(r.stderr, "history: history:") {
			t.Errorf("%s: the store's name said twice: %s", cmd, r.stderr)
		}
		runMain(t, cmd, "--help").want(t, ExitOK, []string{"1 the store failed to read the history"}, nil)
	}
}

// TestStoreReadFailedOfPostgres: a PostgreSQL store that fails to read
// (its server gone, a statement timeout, a user without the rights) is
// not a damaged file: the message names the server and the rights to look
// at, not the disk and a restore from a backup.
func TestStoreReadFailedOfPostgres(t *testing.T) {
	var errb bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &errb, getenv: func(string) string { return "" }}
	spec := store.Spec{URL: "postgres://arsenal@db.internal/arsenal"}
	storeReadFailed(e, "history", spec, errors.New("postgres: list: ERROR: permission denied for table runs (SQLSTATE 42501)"))
	got := errb.String()
	for _, want := range []string{"arsenal-run history: reading the recorded runs failed: postgres: list: ERROR: permission denied", "PostgreSQL server", "may read"} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "backup") || strings.Contains(got, "disk") {
		t.Errorf("a PostgreSQL read error is told as a damaged file:\n%s", got)
	}
}

// TestHistorySeveralStatuses: --status and --trigger take a comma list or
// a second use, and list the runs of any of them, newest first; a value
// that is no status among them is named.
func TestHistorySeveralStatuses(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	runMain(t, "run", writePlaybook(t, dir, "quick.yaml", quick), "--state-dir", state).want(t, ExitOK, nil, nil)
	bad := writePlaybook(t, dir, "bad.yaml", "version: 1\nname: broken\nsteps:\n  - {id: a, op: control.fail, with: {message: no}}\n")
	runMain(t, "run", bad, "--state-dir", state).want(t, ExitFailed, nil, nil)
	for _, args := range [][]string{
		{"--status", "failed,succeeded"},
		{"--status", "Failed", "--status", "succeeded"},
		{"--status", "failed, succeeded,failed", "--trigger", "cli,api"},
	} {
		res := runMain(t, append([]string{"history", "--state-dir", state}, args...)...)
		res.want(t, ExitOK, []string{"quick", "broken"}, nil)
		if b, q := strings.Index(res.stdout, "broken"), strings.Index(res.stdout, "quick"); b > q {
			t.Errorf("%v: the newer run (broken) is not listed first:\n%s", args, res.stdout)
		}
	}
	runMain(t, "history", "--state-dir", state, "--status", "failed,cancelled", "--limit", "5").want(t, ExitOK, []string{"broken"}, nil)
	runMain(t, "history", "--state-dir", state, "--status", "cancelled,running").want(t, ExitOK, []string{"no runs match --status cancelled,running\n"}, nil)
	runMain(t, "history", "--state-dir", state, "--status", "failed,canceled").want(t, ExitUsage, nil,
		[]string{`--status "canceled" is not a run status (did you mean "cancelled"?)`, "or several as --status failed,cancelled"})
	runMain(t, "history", "--state-dir", state, "--trigger", "cli,cron").want(t, ExitUsage, nil, []string{`unknown trigger "cron"`})
	runMain(t, "history", "--state-dir", state, "--status", "failed,").want(t, ExitUsage, nil,
		[]string{`--status: "failed," has an empty item; give the values separated by single commas, like a,b`})
}
