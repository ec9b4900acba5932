package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestPreflightReportNestsSubPlaybookSteps checks that a step denied inside
// a sub-playbook appears in the report as a denied step with its rule,
// nested under the playbook.run step, and that denied steps give a reason.
func TestPreflightReportNestsSubPlaybookSteps(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	writePlaybook(t, dir, "child.yaml", "version: 1\nname: child\nsteps:\n  - {id: look, op: control.noop}\n  - {id: k, op: process.kill, with: {pid: 4242}}\n")
	pb := writePlaybook(t, dir, "parent.yaml", "version: 1\nname: parent\nsteps:\n  - {id: sub, op: playbook.run, with: {path: child.yaml}}\n")
	rp := filepath.Join(dir, "r.json")
	if res := runMain(t, "run", pb, "--report", rp); res.code != ExitDenied {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	r := readReport(t, rp)
	if len(r.Steps) != 1 || r.Steps[0].Sub == nil {
		t.Fatalf("no nested sub-run: %+v", r.Steps)
	}
	sub := r.Steps[0].Sub
	if sub.Playbook.Name != "child" || len(sub.Playbook.SHA256) != 64 {
		t.Errorf("sub-run playbook %+v", sub.Playbook)
	}
	type row struct {
		Status  report.Status
		Reason  string
		Allowed bool
	}
	got := map[string]row{}
	for _, s := range sub.Steps {
		got[s.ID] = row{s.Status, s.Reason, s.Authorization != nil && s.Authorization.Allowed}
	}
	rule := "no rule of role operator allows process.kill (risk destructive)"
	want := map[string]row{
		"look": {"skipped", "not run: authorization denied other steps", true},
		"k":    {"denied", "denied: " + rule, false},
	}
	for _, s := range sub.Steps {
		if s.ID == "k" && (s.Authorization == nil || s.Authorization.Rule != rule) {
			t.Errorf("k's decision: %+v", s.Authorization)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nested steps (-want +got):\n%s", diff)
	}
}

// TestPreflightReportNamesRescueSteps checks that the report of a run that
// preflight refused says which step a rescue step belongs to, so that every
// format names it migrate/rescue/restore, as a run that ran does: a JUnit
// test case keeps its name, and its history on the CI page, from one run to
// the next.
func TestPreflightReportNamesRescueSteps(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "p.yaml", "version: 1\nname: p\nsteps:\n"+
		"  - id: migrate\n    op: control.noop\n    rescue:\n      - {id: restore, op: control.noop}\n"+
		"  - {id: k, op: process.kill, with: {pid: 4242}}\n")
	rp, jp := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	if res := runMain(t, "run", pb, "--report", rp, "--junit", jp); res.code != ExitDenied {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var rescueOf string
	for _, s := range readReport(t, rp).Steps {
		if s.ID == "restore" {
			rescueOf = s.RescueOf
		}
	}
	if rescueOf != "migrate" {
		t.Errorf("restore's rescue_of = %q, want migrate", rescueOf)
	}
	data, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `<testcase name="migrate/rescue/restore"`) {
		t.Errorf("JUnit does not name the rescue step migrate/rescue/restore:\n%s", data)
	}
}
