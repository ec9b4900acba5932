package cli

import (
	"path/filepath"
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
	writePlaybook(t, dir, "child.yaml", "version: 1\nname: child\nsteps:\n  - {id: look, op: control.noop}\n  - {id: k, op: process.kill, with: {pid: 999999}}\n")
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
