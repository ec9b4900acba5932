package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestDryRunNightlyExample dry-runs the shipped nightly playbook: as admin
// it succeeds without executing a write step or firing on_failure; as
// operator, whom the policy does not allow to delete files, it still runs,
// marks every step allowed or denied, and exits 3 so that CI can use a dry
// run as a permission check.
func TestDryRunNightlyExample(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	pb := filepath.Join("..", "..", "playbooks", "nightly-maintenance.yaml")
	dir := t.TempDir()
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "arsenal-nightly.*"))

	rp := filepath.Join(dir, "admin.json")
	res := runMain(t, "run", pb, "--dry-run", "--role", "admin", "--report", rp, "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("admin dry run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	r := readReport(t, rp)
	if r.Status != report.StatusSucceeded || !r.DryRun || r.Error != nil {
		t.Errorf("admin dry run: %s %+v", r.Status, r.Error)
	}
	for _, s := range r.Steps {
		if s.Status == report.StatusFailed {
			t.Errorf("step %s failed in a dry run: %+v", s.ID, s.Error)
		}
		if s.ID == "alert" && s.Status != report.StatusSkipped {
			t.Errorf("on_failure alert %s in a dry run that did not fail", s.Status)
		}
		if s.ID == "scratch" && (s.Status != report.StatusSkipped || !strings.HasPrefix(s.Reason, "dry run")) {
			t.Errorf("write step scratch: %s %q", s.Status, s.Reason)
		}
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "arsenal-nightly.*"))
	if len(after) != len(before) {
		t.Errorf("the dry run created a scratch directory: %v", after)
	}

	rp = filepath.Join(dir, "operator.json")
	res = runMain(t, "run", pb, "--dry-run", "--role", "operator", "--report", rp, "--log-format", "json")
	if res.code != ExitDenied {
		t.Fatalf("operator dry run: exit %d, want %d\n%s%s", res.code, ExitDenied, res.stdout, res.stderr)
	}
	r = readReport(t, rp)
	denied := 0
	for _, s := range r.Steps {
		switch {
		case s.Authorization == nil:
			t.Errorf("step %s is not marked allowed or denied", s.ID)
		case !s.Authorization.Allowed:
			denied++
			if s.ID != "delete" {
				t.Errorf("step %s denied: %+v", s.ID, s.Authorization)
			}
		}
	}
	if denied != 1 || r.Error == nil || r.Error.Class != "authorization" || !strings.Contains(r.Error.Message, "delete") {
		t.Errorf("operator dry run: %d denied, error %+v", denied, r.Error)
	}
}

// TestHistoryMarksDryRuns: `history` notes "dry run" on the row of a dry
// run, while it runs in another process and once it ended, and not on a
// real run's; its JSON has dry_run, and `history show` says it.
func TestHistoryMarksDryRuns(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	quick := writePlaybook(t, dir, "quick.yaml", `version: 1
name: quick
steps:
  - {id: look, op: control.noop}
  - {id: touch, op: shell.exec, with: {command: ["true"]}}
`)
	nap := writePlaybook(t, dir, "nap.yaml", `version: 1
name: nap
steps:
  - {id: prepare, op: control.log, with: {message: about to nap}}
  - {id: nap, op: control.sleep, with: {duration: 10m}}
`)
	for _, args := range [][]string{{"--dry-run"}, nil} {
		res := runMain(t, append([]string{"run", quick, "--state-dir", state, "--log-format", "json"}, args...)...)
		if res.code != ExitOK {
			t.Fatalf("run %v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
	}
	type row struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		DryRun bool   `json:"dry_run"`
	}
	list := func() []row {
		var rows []row
		res := runMain(t, "history", "--state-dir", state, "--json")
		if err := json.Unmarshal([]byte(res.stdout), &rows); err != nil {
			t.Fatalf("history --json: %v\n%s%s", err, res.stdout, res.stderr)
		}
		return rows
	}
	// note is the NOTE column of the row of run id in the table.
	note := func(table, id string) string {
		head, _, _ := strings.Cut(table, "\n")
		col := strings.Index(head, "NOTE")
		for _, line := range strings.Split(table, "\n") {
			if !strings.Contains(line, id) {
				continue
			}
			if len(line) < col {
				return "" // a row whose NOTE is empty ends before it
			}
			return strings.TrimSpace(line[col:])
		}
		t.Fatalf("no row of %s in\n%s", id, table)
		return ""
	}

	p := start(t, "about to nap", "run", nap, "--dry-run", "--state-dir", state, "--log-format", "json")
	var rows []row
	waitFor(t, "the running dry run in the history", func() bool {
		rows = list()
		return len(rows) == 3
	})
	want := []row{{rows[0].ID, "running", true}, {rows[1].ID, "succeeded", false}, {rows[2].ID, "succeeded", true}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("history --json, newest first (-want +got):\n%s", diff)
	}
	table := runMain(t, "history", "--state-dir", state).stdout
	for id, wantNote := range map[string]string{rows[0].ID: "dry run", rows[1].ID: "", rows[2].ID: "dry run"} {
		if got := note(table, id); got != wantNote {
			t.Errorf("note of %s = %q, want %q; table:\n%s", id, got, wantNote, table)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)

	for _, c := range []struct {
		id   string
		want bool
	}{{rows[0].ID, true}, {rows[1].ID, false}, {rows[2].ID, true}} {
		show := runMain(t, "history", "show", c.id, "--state-dir", state).stdout
		if got := strings.Contains(show, "dry run   only read operations were executed\n"); got != c.want {
			t.Errorf("history show %s says dry run: %v, want %v\n%s", c.id, got, c.want, show)
		}
	}
}
