package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestViewerTemplateSrcFromInput checks that a viewer cannot read a file
// beside a served playbook, which its roots do not hold, through a
// file.template check whose src comes from an input: the playbook's
// directory holds the templates the playbook names, not whatever a caller
// names. A src written in the playbook is still read from there.
func TestViewerTemplateSrcFromInput(t *testing.T) {
	ts := newTestServer(t)
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	ts.reloadPolicy(t, "version: 1\nroles:\n  viewer: {max_risk: read, file_roots: ["+data+"]}\n  ci: {inherits: [viewer]}\n")
	if err := os.WriteFile(filepath.Join(ts.pbDir, "db.env"), []byte("PASSWORD=hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts.pbDir, "app.conf.tmpl"), []byte("port ${{ values.port }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts.addPlaybook(t, "preview.yaml", `version: 1
name: preview
inputs:
  name: {type: string}
steps:
  - {id: read, needs: [], op: file.read, with: {path: "${{ inputs.name }}"}}
  - {id: leak, needs: [], op: file.template, with: {src: "${{ inputs.name }}", dest: "`+filepath.Join(data, "out.conf")+`", check: true}}
  - {id: literal, needs: [], op: file.template, with: {src: app.conf.tmpl, dest: "`+filepath.Join(data, "app.conf")+`", values: {port: 80}, check: true}}
`)
	id := ts.post("viewer", "/api/v1/playbooks/preview/runs", map[string]any{"inputs": map[string]any{"name": "db.env"}}).want(t, 202).json(t)["run_id"].(string)
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
	if strings.Contains(string(b), "hunter2") {
		t.Errorf("the viewer's run shows the file beside the playbook:\n%s", b)
	}
	steps := map[string]report.Step{}
	for _, s := range rep.Steps {
		steps[s.ID] = s
	}
	for _, id := range []string{"read", "leak"} {
		if s := steps[id]; s.Status != report.StatusDenied || s.Error == nil || !strings.Contains(s.Error.Message, "db.env") {
			t.Errorf("step %s: %s %+v, want denied naming db.env", id, s.Status, s.Error)
		}
	}
	if s := steps["literal"]; s.Status != report.StatusSucceeded {
		t.Errorf("a template named in the playbook, beside it: %s %+v", s.Status, s.Error)
	} else if out, _ := s.Output.(map[string]any); !strings.Contains(out["diff"].(string), "+port 80") {
		t.Errorf("literal template diff: %v", out)
	}
}
