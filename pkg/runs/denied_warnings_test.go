package runs

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestDeniedRunKeepsItsWarnings: a run of a playbook whose file changed
// since it was loaded is warned of in its report, whether the run started
// or was refused at the authorization preflight: the denied report, and
// the copy of it the history keeps, say that the decisions were made on
// the text loaded then. Before, only a run that started had warnings.
func TestDeniedRunKeepsItsWarnings(t *testing.T) {
	reg := newRegistry(t)
	path := writePlaybook(t, "version: 1\nname: denyme\nsteps:\n  - {id: k, op: process.kill, with: {pid: 12345}}\n")
	pb, err := steps.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Registry: reg, StateDir: t.TempDir()}, Limits{})
	if err := os.WriteFile(path, []byte("version: 1\nname: denyme\nsteps: []\n# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := m.Start(context.Background(), Request{Playbook: pb, Caller: Caller{Roles: []string{"viewer"}}})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	if rep.Status != report.StatusFailed || len(h.Denied()) == 0 {
		t.Fatalf("the run was not denied: %s, denied %v", rep.Status, h.Denied())
	}
	const want = "changed since it was loaded"
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], want) {
		t.Errorf("the denied report's warnings: %q, want one saying %q", rep.Warnings, want)
	}
	data, err := m.Service().store.ReadReport(context.Background(), h.ID())
	if err != nil {
		t.Fatal(err)
	}
	var kept report.Report
	if err := json.Unmarshal(data, &kept); err != nil {
		t.Fatal(err)
	}
	if len(kept.Warnings) != 1 || !strings.Contains(kept.Warnings[0], want) {
		t.Errorf("the history's report's warnings: %q, want one saying %q", kept.Warnings, want)
	}
}
