package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFlagValuesAreChecked: values a command cannot honour are usage
// errors (exit 2) that say what to give, not silently taken.
func TestFlagValuesAreChecked(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	t.Setenv("ARSENAL_TEST_EMPTY_KEY", "")
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: checked\nsteps:\n  - {id: a, op: control.noop}\n")
	runMain(t, "run", pb, "--state-dir", state).want(t, ExitOK, nil, nil)
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"history", "--state-dir", state, "--status", "bogus"}, `--status "bogus" is not a run status; use one of succeeded, failed, cancelled, running, interrupted`},
		{[]string{"history", "--state-dir", state, "--status", "faild"}, `did you mean "failed"?`},
		// denied is a step's status: the run it stopped failed.
		{[]string{"history", "--state-dir", state, "--status", "Denied"}, `--status "denied" is not a run status: a run a step of which was denied failed, with class authorization; give --status failed, its note says authorization; use one of succeeded, failed`},
		{[]string{"history", "--state-dir", state, "--since", "0s"}, `--since: "0s" is not a positive duration`},
		{[]string{"history", "--state-dir", state, "--since", "-5m"}, `--since: "-5m" is not a positive duration`},
		{[]string{"history", "--state-dir", state, "--since", "soon"}, `--since: "soon" is neither how long ago nor an RFC 3339 time; give one like 30m, 24h, 2d or 1w, or 2026-12-05T02:00:00Z`},
		{[]string{"history", "--state-dir", state, "--limit", "0"}, "--limit must be at least 1"},
		{[]string{"stats", "--state-dir", state, "--since", "0s"}, `--since: "0s" is not a positive duration`},
		{[]string{"run", pb, "--max-parallel", "0"}, "--max-parallel must be at least 1, not 0"},
		{[]string{"run", pb, "--max-parallel", "-1"}, "--max-parallel must be at least 1, not -1"},
		{[]string{"run", pb, "--keep-runs", "-1"}, "--keep-runs must be 0 (keep every run) or more, not -1"},
		{[]string{"run", pb, "--keep-days", "-1"}, "--keep-days must be 0 (never drop runs by age) or more, not -1"},
		{[]string{"run", pb, "--keep-days", "-1d"}, "--keep-days must be 0 (never drop runs by age) or more, not -1"},
		{[]string{"run", pb, "--keep-days", "7h"}, `--keep-days: "7h" is not a number of days; it counts whole days: give one like 7 or 7d (0 = never)`},
		{[]string{"run", pb, "--keep-days", "1w"}, `--keep-days: "1w" is not a number of days`},
		{[]string{"run", pb, "--log-level", "verbose"}, `--log-level is one of debug, info, warn, error, not "verbose"`},
		{[]string{"run", pb, "--log-level", "eror"}, `did you mean "error"?`},
		{[]string{"run", pb, "--log-format", "text"}, `--log-format is console or json, not "text"`},
		{[]string{"run", pb, "--force"}, "--force goes with --resume REPORT"},
		{[]string{"run", pb, "--report", "out/r.html"}, "--report writes the JSON report, not .html: give --html out/r.html for that"},
		{[]string{"run", pb, "--report", "junit.XML"}, "give --junit junit.XML"},
		{[]string{"run", pb, "--report", "summary.md"}, "give --markdown summary.md"},
		{[]string{"run", pb, "--max-parallel", "2x"}, `--max-parallel: "2x" is not a whole number, like 32`},
		{[]string{"run", pb, "--dry-run=maybe"}, `--dry-run: "maybe" is not true or false`},
		{[]string{"history", "--state-dir", state, "--limit", "99999999999999999999"}, "--limit: 99999999999999999999 is out of range; give a whole number, like 50"},
		{[]string{"schedule", pb, "--next", "abc"}, `--next: "abc" is not a whole number`},
		// A cron spec given to --next, which counts fire times.
		{[]string{"schedule", pb, "--next", "*/5 * * * *"}, `--next: "*/5 * * * *" is not a whole number; --next is how many fire times to list, like --next 5, and the schedule is the playbook's schedule: block`},
		{[]string{"schedule", pb, "--next", "@every 5m"}, "write 'schedule PLAYBOOK --next 5'"},
		{[]string{"serve", "--keys", "k.yaml", "--state-dir", state, "--log-level", "Verbose"}, `--log-level is one of debug, info, warn, error, not "verbose"`},
		{[]string{"schedule", pb, "--state-dir", state, "--log-format", "yaml"}, `--log-format is console or json, not "yaml"`},
		{[]string{"run", pb, "--trace-items", "-5"}, "--trace-items must be 0 or more (the default is 100), not -5"},
		{[]string{"schedule", pb, "--state-dir", state, "--trace-items", "-1"}, "--trace-items must be 0 or more (the default is 100), not -1"},
		// No server listens there: each is refused before any request.
		{[]string{"remote", "--server", "http://127.0.0.1:1", "runs", "--limit", "0"}, "--limit must be 1 to 1000 (the most the server lists at once), not 0"},
		{[]string{"remote", "--server", "http://127.0.0.1:1", "runs", "--limit", "-5"}, "--limit must be 1 to 1000 (the most the server lists at once), not -5"},
		{[]string{"remote", "--server", "http://127.0.0.1:1", "--key-env", "ARSENAL_TEST_UNSET_KEY", "runs"}, "--key-env ARSENAL_TEST_UNSET_KEY: the variable is unset or empty"},
		{[]string{"remote", "--server", "http://127.0.0.1:1", "--key-env", "ARSENAL_TEST_EMPTY_KEY", "ops", "list"}, "--key-env ARSENAL_TEST_EMPTY_KEY: the variable is unset or empty"},
	} {
		res := runMain(t, tc.args...)
		res.want(t, ExitUsage, nil, []string{tc.stderr})
	}
	// Levels and formats in capitals, as typed in a hurry, are taken.
	res := runMain(t, "run", pb, "--log-level", "Warning", "--log-format", "JSON")
	res.want(t, ExitOK, nil, nil)
	if strings.Contains(res.stderr, `"level":"info"`) {
		t.Errorf("--log-level Warning logged info lines:\n%s", res.stderr)
	}
}

// TestHugeKeepDaysKeepsEverything: --keep-days past any run's age keeps
// the history and the reports, the run just finished included; it once
// overflowed into a cutoff in the future and deleted them all.
func TestHugeKeepDaysKeepsEverything(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: kept\nsteps:\n  - {id: a, op: control.noop}\n")
	rep := filepath.Join(dir, "r.json")
	for _, days := range []string{"106752", "200000", "9223372036854775807"} {
		runMain(t, "run", pb, "--state-dir", state, "--report", rep, "--keep-days", days).want(t, ExitOK, nil, nil)
		readReport(t, rep)
	}
	res := runMain(t, "history", "--state-dir", state, "--json")
	res.want(t, ExitOK, nil, nil)
	if n := strings.Count(res.stdout, `"playbook": "kept"`); n != 3 {
		t.Errorf("%d runs in the history, want 3:\n%s", n, res.stdout)
	}
	reports, _ := filepath.Glob(filepath.Join(state, "reports", "*.json"))
	if len(reports) != 3 {
		t.Errorf("reports in the state dir: %v, want 3", reports)
	}
}

// TestStateDirThatIsAFile: reading commands say a --state-dir that is a
// file is not a directory, instead of advising 'run --state-dir FILE',
// which would fail the same way.
func TestStateDirThatIsAFile(t *testing.T) {
	file := writePlaybook(t, t.TempDir(), "afile", "x")
	for _, cmd := range []string{"history", "stats"} {
		res := runMain(t, cmd, "--state-dir", file)
		res.want(t, ExitUsage, nil, []string{"arsenal-run " + cmd + ": " + file + " is not a directory"})
		if strings.Contains(res.stderr, "records them only with") {
			t.Errorf("%s advises recording runs in a file:\n%s", cmd, res.stderr)
		}
	}
}

// TestSinceTakesDaysAndWeeks: --since 2d and 1w are durations.
func TestSinceTakesDaysAndWeeks(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"2d":    48 * time.Hour,
		"1w":    7 * 24 * time.Hour,
		"1.5d":  36 * time.Hour,
		"1d12h": 36 * time.Hour,
		"90m":   90 * time.Minute,
	} {
		var f durationFlag
		if err := f.Set(in); err != nil || f.d != want {
			t.Errorf("Set(%q) = %s, %v; want %s", in, f.d, err, want)
		}
	}
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: days\nsteps:\n  - {id: a, op: control.noop}\n")
	runMain(t, "run", pb, "--state-dir", state).want(t, ExitOK, nil, nil)
	runMain(t, "history", "--state-dir", state, "--since", "2d").want(t, ExitOK, []string{"days"}, nil)
	runMain(t, "stats", "--state-dir", state, "--since", "1w").want(t, ExitOK, []string{"control.noop"}, nil)
}

// TestKeyExpiryIsReadAsWritten: --expires takes days as --since does
// (1.5d is 36 hours), and refuses what it cannot read whole (90xd), a
// count of days too large for a duration, and a date already past.
func TestKeyExpiryIsReadAsWritten(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"1.5d":       now.Add(36 * time.Hour),
		"90d":        now.Add(90 * 24 * time.Hour),
		"2w":         now.Add(14 * 24 * time.Hour),
		"720h":       now.Add(720 * time.Hour),
		"2027-06-30": time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
	} {
		if got, err := expiryTime(in, now); err != nil || !got.Equal(want) {
			t.Errorf("expiryTime(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"90xd", "99999999d", "2020-01-01", "0d", "-1d", "soon"} {
		if got, err := expiryTime(in, now); err == nil {
			t.Errorf("expiryTime(%q) = %s; want it refused", in, got)
		}
	}
}

// TestKeepDaysTakesTheDaysOfSince: --keep-days 7d, the form --since takes,
// is seven days, not a usage error.
func TestKeepDaysTakesTheDaysOfSince(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: kept\nsteps:\n  - {id: a, op: control.noop}\n")
	runMain(t, "run", pb, "--state-dir", state, "--keep-days", "7d").want(t, ExitOK, nil, nil)
	res := runMain(t, "history", "--state-dir", state, "--json")
	res.want(t, ExitOK, nil, nil)
	if n := strings.Count(res.stdout, `"playbook": "kept"`); n != 1 {
		t.Errorf("%d runs in the history, want 1:\n%s", n, res.stdout)
	}
}

// TestNoHistorySaysWhereEachFrontEndRecords: history on a dir with no
// history names where run, serve and schedule record their runs, not run's
// alone, since the runs looked for may be a scheduler's or a server's.
func TestNoHistorySaysWhereEachFrontEndRecords(t *testing.T) {
	empty := t.TempDir()
	res := runMain(t, "history", "--state-dir", empty)
	res.want(t, ExitUsage, nil, []string{"arsenal-run history: no history in " + empty,
		"'run' records them only with --state-dir DIR", "'serve' in its --state-dir", "'schedule' in its --state-dir (default ", "--state URL"})
}
