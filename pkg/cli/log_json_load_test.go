package cli

import (
	"testing"
)

// TestJSONLogLoadProblemsAreJSONLines: with --log-format json, a playbook
// that does not load, and the warnings of one that does, are JSON lines
// (at error and warn, with file, line and column), as the run's own lines
// are. Before, they were printed as text, which a log collector reading
// the JSON log drops or takes apart.
func TestJSONLogLoadProblemsAreJSONLines(t *testing.T) {
	dir := t.TempDir()
	bad := writePlaybook(t, dir, "bad.yaml", "version: 1\nname: bad\nsteps:\n  - {id: a, op: control.nope}\n")
	res := runMain(t, "run", bad, "--log-format", "json")
	if res.code != ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitUsage, res.stderr)
	}
	lines := jsonLogLines(t, res.stderr)
	if l := lineWith(lines, "control.nope"); l == nil || l["level"] != "error" || l["file"] != bad || l["line"] != float64(4) {
		t.Errorf("the unknown op's line: %v\nstderr:\n%s", l, res.stderr)
	}
	if l := lineWith(lines, "has problems; nothing ran"); l == nil || l["level"] != "error" {
		t.Errorf("the closing line: %v\nstderr:\n%s", l, res.stderr)
	}

	warned := writePlaybook(t, dir, "warned.yaml", `version: 1
name: warned
inputs:
  who: {type: string, default: world}
steps:
  - {id: a, op: control.log, with: {message: "hello {{ inputs.who }}"}}
`)
	res = runMain(t, "run", warned, "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	lines = jsonLogLines(t, res.stderr)
	if l := lineWith(lines, "is not interpolated"); l == nil || l["level"] != "warn" || l["file"] != warned || l["column"] != float64(53) {
		t.Errorf("the warning's line: %v\nstderr:\n%s", l, res.stderr)
	}
}
