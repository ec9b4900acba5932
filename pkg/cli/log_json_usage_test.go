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
		{[]string{"run", pb, "--log-format", "json", "--input", "x"}, `--input "x": write it as name=value; nothing ran`},
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
