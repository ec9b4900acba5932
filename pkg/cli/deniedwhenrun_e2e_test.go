package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// auditLines reads an audit log's lines.
func auditLines(t *testing.T, path string) []auth.AuditLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []auth.AuditLine
	for l := range strings.Lines(string(b)) {
		var a auth.AuditLine
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, a)
	}
	return out
}

// deniedWhenRun checks a decision says a call was denied when it ran,
// naming the rule that allowed its operation and what refused it.
func deniedWhenRun(t *testing.T, what string, d *report.Decision, refusal string) {
	t.Helper()
	if d == nil || d.Allowed || !d.DeniedWhenRun || d.Rule != "role ops: max_risk write" || !strings.Contains(d.Refusal, refusal) {
		t.Errorf("%s: decision %+v, want allowed false, denied_when_run, the rule that allowed the operation and the refusal %q", what, d, refusal)
	}
}

// TestE2EDeniedWhenRunIsNotAllowed: a step whose operation the role's
// rule allows but whose path, from ${{ }}, is outside the role's file
// roots is denied when it runs; its report and its audit line record that
// decision as a denial, not as allowed beside an error, and the summary
// says it was denied when it ran.
func TestE2EDeniedWhenRunIsNotAllowed(t *testing.T) {
	dir := t.TempDir()
	policy := e2eFile(t, dir, "policy.yaml", "version: 1\nroles:\n  ops: {max_risk: write, file_roots: [app]}\n")
	pb := writePlaybook(t, dir, "w.yaml", `version: 1
name: writer
inputs:
  target: {type: string, required: true}
steps:
  - {id: w, op: file.write, with: {path: "${{ inputs.target }}", content: x}}
`)
	rep, audit := filepath.Join(dir, "report.json"), filepath.Join(dir, "audit.log")
	target := filepath.Join(dir, "elsewhere.txt")
	res := runBuilt(t, "run", pb, "--role", "ops", "--policy", policy, "--input", "target="+target, "--report", rep, "--audit-log", audit)
	res.want(t, ExitDenied, []string{`authorization: denied when it ran: path "`}, nil)
	refusal := `path "` + target + `" is outside the allowed file roots`
	s := stepRecord(t, readReport(t, rep), "w")
	deniedWhenRun(t, "the step's", s.Authorization, refusal)
	if !strings.Contains(s.Reason, refusal) {
		t.Errorf("the step's reason %q, want the refusal %q, not the rule that allowed the operation", s.Reason, refusal)
	}
	lines := auditLines(t, audit)
	if len(lines) != 1 || lines[0].Outcome != string(report.StatusDenied) {
		t.Fatalf("audit lines %+v, want one denied", lines)
	}
	deniedWhenRun(t, "the audit line's", lines[0].Decision, refusal)
}

// TestE2EFanOutItemDeniedWhenRun: a fan-out one of whose items is a path
// outside the role's file roots runs its other items; the denied item's
// audit line and its record in the report say it was denied, those of
// the items that ran say allowed, and the step's decision is the denial.
func TestE2EFanOutItemDeniedWhenRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	policy := e2eFile(t, dir, "policy.yaml", "version: 1\nroles:\n  ops: {max_risk: write, file_roots: [app]}\n")
	outside := filepath.Join(dir, "elsewhere.txt")
	pb := writePlaybook(t, dir, "fan.yaml", `version: 1
name: fan
steps:
  - id: w
    op: file.write
    foreach: [app/a.txt, "`+outside+`", app/b.txt]
    fail_fast: false
    with: {path: "${{ item }}", content: x}
`)
	rep, audit := filepath.Join(dir, "report.json"), filepath.Join(dir, "audit.log")
	res := runBuilt(t, "run", pb, "--role", "ops", "--policy", policy, "--report", rep, "--audit-log", audit)
	res.want(t, ExitDenied, []string{`authorization: denied when it ran: path "`}, nil)
	for _, f := range []string{"a.txt", "b.txt"} {
		if _, err := os.Stat(filepath.Join(dir, "app", f)); err != nil {
			t.Errorf("the item writing %s did not run: %v", f, err)
		}
	}
	refusal := `path "` + outside + `" is outside the allowed file roots`
	s := stepRecord(t, readReport(t, rep), "w")
	deniedWhenRun(t, "the step's", s.Authorization, refusal)
	if len(s.Items) != 3 {
		t.Fatalf("items %+v, want 3", s.Items)
	}
	for i, it := range s.Items {
		if i == 1 {
			if it.Status != report.StatusDenied {
				t.Errorf("item 1: %s, want denied", it.Status)
			}
			deniedWhenRun(t, "item 1's", it.Authorization, refusal)
		} else if it.Status != report.StatusSucceeded || it.Authorization != nil {
			t.Errorf("item %d: %s, decision %+v, want succeeded under its step's decision", i, it.Status, it.Authorization)
		}
	}
	lines := auditLines(t, audit)
	if len(lines) != 3 {
		t.Fatalf("audit lines %+v, want 3", lines)
	}
	for _, l := range lines {
		if l.Item == nil {
			t.Fatalf("audit line %+v names no item", l)
		}
		if *l.Item == 1 {
			deniedWhenRun(t, "item 1's audit line", l.Decision, refusal)
		} else if l.Decision == nil || !l.Decision.Allowed || l.Decision.DeniedWhenRun || l.Outcome != string(report.StatusSucceeded) {
			t.Errorf("item %d's audit line: %s %+v, want succeeded and allowed", *l.Item, l.Outcome, l.Decision)
		}
	}
}
