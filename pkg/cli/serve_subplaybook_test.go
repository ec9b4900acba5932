package cli

import (
	"fmt"
	"net/http"
	"testing"
)

// TestServedPlaybookRunsItsSubPlaybooks: a served playbook runs the
// sub-playbooks beside it, named literally (checked before the run) or by
// an expression (read when the step starts). The playbooks dir is kept
// from every file operation, and playbook.run was refused it too, so no
// served playbook could run a sub-playbook.
func TestServedPlaybookRunsItsSubPlaybooks(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "calls.yaml", `version: 1
name: calls
steps:
  - {id: literal, op: playbook.run, with: {path: hello.yaml, inputs: {who: literal}}}
  - {id: computed, op: playbook.run, with: {path: "${{ 'hel' + 'lo.yaml' }}"}}
`)
	_, base := f.serve(t)
	code, body := apiCall(t, "POST", base+"/api/v1/playbooks/calls/runs?wait=30s", f.admin, map[string]any{})
	if code != http.StatusOK || body["status"] != "succeeded" {
		t.Fatalf("a served playbook running the playbook beside it: %d %v", code, body)
	}
	steps, _ := body["steps"].([]any)
	for _, s := range steps {
		s, _ := s.(map[string]any)
		if sub, _ := s["sub"].(map[string]any); sub == nil || sub["status"] != "succeeded" {
			t.Errorf("step %v: %s", s["id"], fmt.Sprint(s))
		}
	}
	if len(steps) != 2 {
		t.Errorf("steps: %v", steps)
	}
}
