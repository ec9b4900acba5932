package runs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestNewReportKeyOverSignedReportsWarns: a state dir whose report.key
// is gone while its reports folder holds signed reports gets a new key;
// the user is told then what it costs, not first by a refused --resume.
// A first key, and a key that is there, say nothing.
func TestNewReportKeyOverSignedReportsWarns(t *testing.T) {
	state := t.TempDir()
	var warnings []string
	open := func() {
		t.Helper()
		warnings = nil
		svc, err := NewService(Config{Registry: newRegistry(t), StateDir: state, Warn: func(format string, args ...any) {
			warnings = append(warnings, fmt.Sprintf(format, args...))
		}})
		if err != nil {
			t.Fatal(err)
		}
		svc.Close()
	}
	open()
	if len(warnings) != 0 {
		t.Errorf("a first report key gave warnings: %q", warnings)
	}
	m := newManager(t, Config{StateDir: state}, Limits{})
	path := writePlaybook(t, `version: 1
name: one
steps:
  - {id: one, op: control.log, with: {message: first}}
`)
	if r := wait(t, mustStart(t, m, Request{Path: path})); r.Status != "succeeded" {
		t.Fatalf("run %s", r.Status)
	}
	open()
	if len(warnings) != 0 {
		t.Errorf("a report key already there gave warnings: %q", warnings)
	}
	if err := os.Remove(filepath.Join(state, report.KeyFile)); err != nil {
		t.Fatal(err)
	}
	open()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "holds 1 report signed with an earlier one") ||
		!strings.Contains(warnings[0], "--resume") || !strings.Contains(warnings[0], "Rotating the report key") {
		t.Errorf("warnings for a new key over signed reports: %q", warnings)
	}
	open()
	if len(warnings) != 0 {
		t.Errorf("the new key, once made, gave warnings: %q", warnings)
	}
}
