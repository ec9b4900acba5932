package cli

import (
	"strings"
	"testing"
)

// TestRunListMultilineCondition: a condition written over several lines
// (a YAML block) is listed on its step's row, its lines joined by a space,
// instead of breaking the table with lines that start at column 0.
func TestRunListMultilineCondition(t *testing.T) {
	pb := writePlaybook(t, t.TempDir(), "multi.yaml", `version: 1
name: multi
inputs:
  env: {type: string, default: prod}
steps:
  - id: deploy
    op: control.noop
    when: |
      inputs.env == "prod"
        && inputs.env != "a  b"
  - {id: after, op: control.noop}
`)
	res := runMain(t, "run", pb, "--list")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a title, a header and 2 rows, got %d lines:\n%s", len(lines), res.stdout)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "  ") {
			t.Errorf("line %q is not a row of the table:\n%s", l, res.stdout)
		}
	}
	if want := `when: inputs.env == "prod" && inputs.env != "a  b"`; !strings.Contains(lines[2], want) {
		t.Errorf("deploy's row lacks %q:\n%s", want, res.stdout)
	}
}
