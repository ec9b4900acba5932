package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
