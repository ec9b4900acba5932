package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestViewerInventoryFromInput: a viewer cannot have a file beside a
// served playbook, which its roots do not hold, parsed as a cluster.*
// inventory named by an input, its node names then shown in the report:
// the playbook's directory holds the inventories the playbook names. One
// written in the playbook is still read from there.
func TestViewerInventoryFromInput(t *testing.T) {
	ts := newTestServer(t)
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	ts.reloadPolicy(t, "version: 1\nroles:\n  viewer: {max_risk: read, file_roots: ["+data+"]}\n  ci: {inherits: [viewer]}\n")
	for name, nodes := range map[string]string{"private.inv": "secret-db-host", "nodes.inv": "web-1"} {
		if err := os.WriteFile(filepath.Join(ts.pbDir, name), []byte("- {name: "+nodes+", address: '127.0.0.1:1'}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ts.addPlaybook(t, "probe.yaml", `version: 1
name: probe
inputs:
  name: {type: string}
steps:
  - {id: leak, needs: [], op: cluster.health, with: {inventory: "${{ inputs.name }}"}, continue_on_error: true}
  - {id: literal, needs: [], op: cluster.health, with: {inventory: nodes.inv}, continue_on_error: true}
`)
	id := ts.post("viewer", "/api/v1/playbooks/probe/runs", map[string]any{"inputs": map[string]any{"name": "private.inv"}}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(id)
	if h == nil {
		t.Fatal("no run handle")
	}
	<-h.Done()
	rep := h.Report()
	if rep == nil {
		t.Fatal("no report")
	}
	b, _ := json.Marshal(rep)
	if strings.Contains(string(b), "secret-db-host") {
		t.Errorf("the viewer's run shows the file beside the playbook:\n%s", b)
	}
	steps := map[string]report.Step{}
	for _, s := range rep.Steps {
		steps[s.ID] = s
	}
	if s := steps["leak"]; s.Status != report.StatusDenied || s.Error == nil || !strings.Contains(s.Error.Message, "inventory is computed by an expression") {
		t.Errorf("step leak: %s %+v, want denied, saying the inventory is computed", s.Status, s.Error)
	}
	if s := steps["literal"]; s.Status == report.StatusDenied || !strings.Contains(string(b), "web-1") {
		t.Errorf("an inventory named in the playbook, beside it: %s %+v", s.Status, s.Error)
	}
}
