package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONLogUsageErrorsAreJSONLines: with --log-format json, what run
// says of a mistake on its command line (a bad flag after --log-format, a
// missing playbook, a bad value, an --inputs or --inventory file that
// is not there, an --input without =, a report path that is the
// playbook) is a JSON line at error, so that a log shipper reading its
// stderr parses every line. Before, each was text.
func TestJSONLogUsageErrorsAreJSONLines(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: ok\nsteps:\n  - {id: a, op: control.noop}\n")
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"run", "--log-format", "json", pb, "--bogus"}, "unknown flag --bogus"},
		{[]string{"run", "--log-format", "json"}, "give the playbook to run"},
		{[]string{"run", pb, "--log-format", "JSON", "--max-parallel", "0"}, "--max-parallel must be at least 1"},
		{[]string{"run", pb, "--log-format", "json", "--inputs", missing}, "--inputs: "},
		{[]string{"run", pb, "--log-format", "json", "--input", "x"}, `--input "x": write it as name=value, like --input x=VALUE; nothing ran`},
		{[]string{"run", pb, "--log-format", "json", "--inventory", missing}, "the inventory " + missing + " has problems; nothing ran"},
		{[]string{"run", pb, "--log-format", "json", "--report", pb}, "the run would replace it"},
		{[]string{"run", pb, "--log-format", "json", "--role", "nosuch"}, `unknown role "nosuch"`},
		{[]string{"run", filepath.Join(dir, "nope.yaml"), "--log-format", "json"}, "nope.yaml has problems; nothing ran"},
	} {
		res := runMain(t, tc.args...)
		if res.code != ExitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", tc.args, res.code, ExitUsage, res.stderr)
			continue
		}
		lines := jsonLogLines(t, res.stderr)
		l := lineWith(lines, tc.says)
		if l == nil {
			t.Errorf("%q: no JSON line says %q:\n%s", tc.args, tc.says, res.stderr)
			continue
		}
		if l["level"] != "error" {
			t.Errorf("%q: %q is at %v, want error", tc.args, tc.says, l["level"])
		}
	}
	// The console form keeps its text, and so does a mistake found before
	// --log-format json was read: the format is not known yet.
	for _, args := range [][]string{{"run", pb, "--bogus"}, {"run", "--bogus", "--log-format", "json", pb}} {
		res := runMain(t, args...)
		if !strings.HasPrefix(res.stderr, "arsenal-run run: unknown flag --bogus\nRun 'arsenal-run run --help' for usage.\n") {
			t.Errorf("%q: stderr %q, want the text usage error", args, res.stderr)
		}
	}
	// A usage error carries the command and where its usage is told.
	res := runMain(t, "run", "--log-format", "json", pb, "--bogus")
	if l := lineWith(jsonLogLines(t, res.stderr), "unknown flag"); l == nil || l["usage"] != "arsenal-run run --help" || l["command"] != "run" {
		t.Errorf("the usage error's line: %v, want command run and usage \"arsenal-run run --help\"", l)
	}
}

// TestJSONLogDaemonUsageErrors: serve and schedule with --log-format json
// write what they refuse before they start (a bad flag, a missing
// --keys, a playbook or keys file with problems, a role no policy has)
// as JSON lines at error, a problem's place in file, line and column, as
// run does; a --log-format that is neither is told before any other
// problem. Before, each was text.
func TestJSONLogDaemonUsageErrors(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	ok := writePlaybook(t, dir, "ok.yaml", "version: 1\nname: ok\nschedule: {cron: \"@every 1h\"}\nsteps:\n  - {id: a, op: control.noop}\n")
	bad := writePlaybook(t, dir, "bad.yaml", "version: 1\nname: bad\nschedule: {cron: \"@every 1h\"}\nsteps:\n  - {id: a, op: control.nope}\n")
	keys := writePlaybook(t, dir, "keys.yaml", "keys: []\n")
	for _, tc := range []struct {
		args  []string
		says  string
		place string // the file of the line, when it has one
	}{
		{[]string{"serve", "--log-format", "json", "--bogus"}, "unknown flag --bogus", ""},
		{[]string{"serve", "--log-format", "json"}, "--keys FILE is required", ""},
		{[]string{"serve", "--log-format", "json", "--keys", keys, "--state-dir", state}, "missing version", keys},
		{[]string{"serve", "--log-format", "json", "--keys", keys, "--state-dir", state}, "the configuration has problems; nothing was served", ""},
		{[]string{"schedule", "--log-format", "json"}, "give at least one playbook or directory", ""},
		{[]string{"schedule", "--log-format", "json", ok, "--grace", "0"}, "--grace must be more than 0", ""},
		{[]string{"schedule", "--log-format", "json", bad, "--state-dir", state}, `unknown operation "control.nope"`, bad},
		{[]string{"schedule", "--log-format", "json", bad, "--state-dir", state}, "nothing was scheduled; fix the problems above", ""},
		{[]string{"schedule", "--log-format", "json", ok, "--state-dir", state, "--role", "nosuch"}, `unknown role "nosuch"`, ""},
	} {
		res := runMain(t, tc.args...)
		if res.code != ExitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", tc.args, res.code, ExitUsage, res.stderr)
			continue
		}
		l := lineWith(jsonLogLines(t, res.stderr), tc.says)
		if l == nil {
			t.Errorf("%q: no JSON line says %q:\n%s", tc.args, tc.says, res.stderr)
			continue
		}
		if l["level"] != "error" {
			t.Errorf("%q: %q is at %v, want error", tc.args, tc.says, l["level"])
		}
		if tc.place != "" && (l["file"] != tc.place || l["line"] == nil) {
			t.Errorf("%q: %q has file %v line %v, want %s and its line", tc.args, tc.says, l["file"], l["line"], tc.place)
		}
	}
	for _, cmd := range []string{"serve", "schedule"} {
		runMain(t, cmd, "--log-format", "xml", ok).want(t, ExitUsage, nil, []string{`--log-format is console or json, not "xml"`})
	}
}
