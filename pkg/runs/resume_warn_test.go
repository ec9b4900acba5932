package runs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestResumeOfAChangedReportWarns: a report that fails its check against
// the state dir's key (edited since it was written) still resumes without
// a grant, but the user is told the steps it reuses are taken as it says.
func TestResumeOfAChangedReportWarns(t *testing.T) {
	state := t.TempDir()
	var mu sync.Mutex
	var warnings []string
	warn := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, fmt.Sprintf(format, args...))
	}
	m := newManager(t, Config{StateDir: state, Warn: warn}, Limits{})
	path := writePlaybook(t, `version: 1
name: half
steps:
  - {id: one, op: control.log, with: {message: first}}
  - {id: two, op: control.assert, with: {that: false, message: stop here}}
`)
	first := wait(t, mustStart(t, m, Request{Path: path}))
	if first.Status != "failed" {
		t.Fatalf("first run %s", first.Status)
	}
	recorded := filepath.Join(state, history.ReportsDir, first.RunID+".json")
	data, err := os.ReadFile(recorded)
	if err != nil {
		t.Fatal(err)
	}
	resume := func(file string) []string {
		mu.Lock()
		warnings = nil
		mu.Unlock()
		wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: file}))
		mu.Lock()
		defer mu.Unlock()
		return warnings
	}
	if w := resume(recorded); len(w) != 0 {
		t.Errorf("the report as recorded gave warnings: %q", w)
	}
	changed := filepath.Join(t.TempDir(), "changed.json")
	if err := os.WriteFile(changed, []byte(strings.Replace(string(data), `"first"`, `"forged"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	w := resume(changed)
	if len(w) != 1 || !strings.Contains(w[0], "--resume "+changed+": the report fails its check") || !strings.Contains(w[0], "taken as it says") {
		t.Errorf("warnings for a changed report: %q", w)
	}
}

func mustStart(t *testing.T, m *Manager, req Request) *Handle {
	t.Helper()
	h, err := m.Start(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestRealRunDoesNotResumeADryRun: a dry run's steps are recorded
// succeeded though their writes, and a sub-playbook's, were skipped;
// a real run resuming it, or starting later from it, would reuse them and
// end succeeded with nothing done. It is refused; a dry run may resume it.
func TestRealRunDoesNotResumeADryRun(t *testing.T) {
	state := t.TempDir()
	m := newManager(t, Config{StateDir: state}, Limits{})
	dir := t.TempDir()
	marker := filepath.Join(dir, "wrote")
	if err := os.WriteFile(filepath.Join(dir, "sub.yaml"), []byte("version: 1\nname: sub\nsteps:\n  - {id: write, op: file.write, with: {path: "+marker+", content: x}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "top.yaml")
	if err := os.WriteFile(path, []byte(`version: 1
name: top
inputs: {go: {type: bool, default: false}}
steps:
  - {id: deploy, op: playbook.run, with: {path: sub.yaml}}
  - {id: check, op: control.assert, with: {that: "${{ inputs.go }}", message: not go}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	dry := wait(t, mustStart(t, m, Request{Path: path, DryRun: true}))
	if dry.Status != "failed" {
		t.Fatalf("the dry run %s", dry.Status)
	}
	for _, req := range []Request{
		{Path: path, ResumeFrom: dry.RunID, Inputs: map[string]any{"go": true}},
		{Path: path, ResumeFrom: dry.RunID, Inputs: map[string]any{"go": true}, Selection: engine.Selection{From: "check"}},
	} {
		_, err := m.Start(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), "was a dry run: its writes did not happen") {
			t.Errorf("a real run resuming a dry run (selection %+v): %v", req.Selection, err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the sub-playbook wrote")
	}
	again := wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: dry.RunID, DryRun: true}))
	if again.Status == "" {
		t.Error("a dry run resuming a dry run did not run")
	}
}
