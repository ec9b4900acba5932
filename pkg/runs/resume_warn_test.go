package runs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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
