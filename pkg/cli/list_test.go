package cli

import (
	"fmt"
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

// TestRunListShowsHowAStepRuns: --list shows the settings that decide
// whether a step runs and how: a cache that may answer it without running
// the operation, its timeout, and for a fan-out how many items run at
// once, its rolling batches and whether a failed item stops the rest.
func TestRunListShowsHowAStepRuns(t *testing.T) {
	pb := writePlaybook(t, t.TempDir(), "how.yaml", `version: 1
name: how
steps:
  - {id: hosts, op: control.noop, cache: {ttl: 10m}, timeout: 30s}
  - id: roll
    op: control.noop
    foreach: "${{ [1, 2, 3] }}"
    serial: 25%
    max_fail_percentage: 10
    fail_fast: false
  - {id: par, op: control.noop, foreach: "${{ [1, 2] }}", concurrency: 4, serial: 2}
  - {id: plain, op: control.noop}
`)
	res := runMain(t, "run", pb, "--list")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(res.stdout, "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[0] == "steps" {
			rows[f[1]] = strings.Join(f[4:], " ")
		}
	}
	want := map[string]string{
		"hosts": "timeout: 30s; cache: 10m",
		"roll":  "foreach: [1, 2, 3]; serial: 25%; max_fail_percentage: 10; fail_fast: false",
		"par":   "foreach: [1, 2]; concurrency: 4; serial: 2",
	}
	for id, w := range want {
		if rows[id] != w {
			t.Errorf("%s's conditions: %q, want %q\n%s", id, rows[id], w, res.stdout)
		}
	}
	if _, ok := rows["plain"]; ok {
		t.Errorf("a plain step has conditions:\n%s", res.stdout)
	}
}

// TestRunListWideFanIn: a step that needs hundreds of others lists the
// first of them and counts the rest, so that its row stays short and the
// NEEDS column does not pad every other row of a list written to a file
// to the width of the whole list.
func TestRunListWideFanIn(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nname: fanin\nsteps:\n")
	var ids []string
	for i := range 300 {
		id := fmt.Sprintf("s%d", i)
		ids = append(ids, id)
		fmt.Fprintf(&b, "  - {id: %s, op: control.noop}\n", id)
	}
	fmt.Fprintf(&b, "  - id: gather\n    op: control.noop\n    when: true\n    needs: [%s]\n", strings.Join(ids, ", "))
	pb := writePlaybook(t, t.TempDir(), "fanin.yaml", b.String())
	res := runMain(t, "run", pb, "--list")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	for _, l := range lines {
		if n := len(l); n > 200 {
			t.Fatalf("a line of %d characters: %.200q…", n, l)
		}
	}
	last := lines[len(lines)-1]
	for _, want := range []string{"gather", "s0, s1, s2", "more", "when: true"} {
		if !strings.Contains(last, want) {
			t.Errorf("gather's row lacks %q: %q", want, last)
		}
	}
	// The ids shown and the count add up to the needs.
	cell := last[strings.Index(last, "s0, "):strings.Index(last, " more")]
	shown := strings.Count(cell, ", ")
	var more int
	if _, err := fmt.Sscanf(cell[strings.LastIndex(cell, "… ")+len("… "):], "%d", &more); err != nil {
		t.Fatalf("no count in %q: %v", cell, err)
	}
	if shown+more != 300 {
		t.Errorf("%d ids shown and %d counted, want 300 in all: %q", shown, more, cell)
	}
}

// TestNeedsCell: needs are listed in full while they fit, and counted
// past that.
func TestNeedsCell(t *testing.T) {
	for _, tc := range []struct {
		needs []string
		width int
		want  string
	}{
		{nil, 20, "-"},
		{[]string{"a"}, 20, "a"},
		{[]string{"alpha", "beta", "gamma"}, 20, "alpha, beta, gamma"},
		{[]string{"alpha", "beta", "gamma", "delta"}, 20, "alpha, … 3 more"},
		{[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}, 20, "a, b, c, d, … 5 more"},
	} {
		if got := needsCell(tc.needs, tc.width); got != tc.want {
			t.Errorf("needsCell(%q, %d) = %q, want %q", tc.needs, tc.width, got, tc.want)
		}
	}
}
