package runs

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestExecuteOpIdentity pins what an execute is recorded as, in its
// report, its history row and its audit line: the playbook
// execute-OP, the path "operation OP", and the sha256 of
// {"op":OP,"params":PARAMS}. Searches and retention go by them.
func TestExecuteOpIdentity(t *testing.T) {
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	audit, err := auth.OpenAudit(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	m := newManager(t, Config{StateDir: dir, Audit: audit}, Limits{})
	ctx := context.Background()
	res, err := m.ExecuteOp(ctx, OpRequest{Op: "control.set", Params: map[string]any{"greeting": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	want := report.Playbook{Name: "execute-control-set", Path: "operation control.set",
		SHA256: "fd59210de75faf1f4295d7e90d798426dcc52f811ecb49aa90afb2ab5737c285"}
	if diff := cmp.Diff(want, res.Report.Playbook); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	run, err := m.Service().History().Get(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, report.Playbook{Name: run.Playbook, Path: run.Path, SHA256: run.SHA256}); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	audit.Close()
	data, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	var line auth.AuditLine
	if err := json.Unmarshal([]byte(strings.SplitN(string(data), "\n", 2)[0]), &line); err != nil {
		t.Fatalf("audit line: %v in %q", err, data)
	}
	if diff := cmp.Diff(want, report.Playbook{Name: want.Name, Path: line.Playbook, SHA256: line.SHA256}); diff != "" {
		t.Errorf("audit line (-want +got):\n%s", diff)
	}
}
