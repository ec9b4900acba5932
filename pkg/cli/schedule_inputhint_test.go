package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestScheduledRunInputHint: a scheduled run whose required input lost
// its source after the check at start (the from_file gone) says what a
// schedule can do, give the input a default or recreate the file, not
// the command line's --input, which a scheduled run is never given.
func TestScheduledRunInputHint(t *testing.T) {
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, jobs, "token", "t1\n")
	writePlaybook(t, jobs, "needs.yaml", `version: 1
name: needs
schedule: {cron: "@every 1s"}
inputs:
  key: {type: string, required: true, from_file: token}
steps:
  - {id: a, op: control.noop}
`)
	p := start(t, "scheduler started", "schedule", jobs, "--state-dir", filepath.Join(dir, "state"), "--log-format", "json")
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.wait(t)
	}()
	if err := os.Remove(filepath.Join(jobs, "token")); err != nil {
		t.Fatal(err)
	}
	want := "key is required; scheduled runs are given no inputs: give it a default in the playbook or create token"
	p.waitFor(t, want)
	if strings.Contains(p.stderr.String(), "--input") {
		t.Errorf("a scheduled run's log names --input:\n%s", p.stderr.String())
	}
}
