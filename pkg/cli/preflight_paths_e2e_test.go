package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestE2ELiteralPathOutsideRootsStopsTheRun: a step writing a literal
// path outside the caller's file roots is denied at preflight, so the
// steps before it do not run (for an incident runbook, a half-done run),
// and validate --role says so. The denial names where the relative path
// led: beside the playbook, not beside the user.
func TestE2ELiteralPathOutsideRootsStopsTheRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	policy := e2eFile(t, dir, "policy.yaml", `version: 1
roles:
  ops: {allow: ["*"], file_roots: [x]}
`)
	pb := writePlaybook(t, dir, "w2.yaml", `version: 1
name: writer2
steps:
  - id: first
    op: shell.exec
    with: {script: "echo did something > ran.txt"}
  - id: w
    op: file.write
    with: {path: out.txt, content: "hello\n"}
`)
	want := `path "out.txt" (` + filepath.Join(dir, "out.txt") + `: a relative path is taken from the playbook's directory) is outside the allowed file roots (role ops: ` + filepath.Join(dir, "x") + `)`
	runBuilt(t, "validate", pb, "--role", "ops", "--policy", policy).want(t, ExitDenied, []string{want}, nil)

	rep := filepath.Join(dir, "report.json")
	res := runBuilt(t, "run", pb, "--role", "ops", "--policy", policy, "--report", rep)
	res.want(t, ExitDenied, nil, []string{want, "nothing ran"})
	if _, err := os.Stat(filepath.Join(dir, "ran.txt")); err == nil {
		t.Error("the step before the denied one ran")
	}
	r := readReport(t, rep)
	if s := stepRecord(t, r, "first"); s.Status == report.StatusSucceeded {
		t.Errorf("step first: %s, want it not run", s.Status)
	}
	if s := stepRecord(t, r, "w"); s.Status != report.StatusDenied || s.Error == nil || !strings.Contains(s.Error.Message, want) {
		t.Errorf("step w: %s %+v, want denied naming %s", s.Status, s.Error, want)
	}
}
