package server

import (
	"strings"
	"testing"
)

// TestEarlyAnswerSaysWhenToAnswer: an answer sent before its step asks
// (or for a step that never asks) is 409 saying what to do: answer once
// the confirm_asked event has come, the questions endpoint listing those
// waiting.
func TestEarlyAnswerSaysWhenToAnswer(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "later.yaml", `version: 1
name: later
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
  - {id: restart, op: shell.exec, confirm: "Restart the workers?", with: {command: ["true"]}}
`)
	id := ts.post("operator", "/api/v1/playbooks/later/runs", map[string]any{"ask": true}).want(t, 202).json(t)["run_id"].(string)
	for _, step := range []string{"restart", "nap"} {
		e := ts.post("operator", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": step, "answer": "yes"}).wantError(t, 409, ClassConflict)
		msg, _ := e["message"].(string)
		if !strings.Contains(msg, "confirm_asked") || !strings.Contains(msg, "/api/v1/runs/"+id+"/questions") {
			t.Errorf("step %s: %v", step, e)
		}
	}
	ts.post("operator", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
}

// TestAnswerForUnknownStepIs400: an answer naming a step the playbook does
// not have can never be taken; it is 400 on the field step, with the
// steps that ask, not the 409 of a step that has not asked yet.
func TestAnswerForUnknownStepIs400(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "later.yaml", `version: 1
name: later
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
  - {id: restart, op: shell.exec, confirm: "Restart the workers?", with: {command: ["true"]}}
`)
	id := ts.post("operator", "/api/v1/playbooks/later/runs", map[string]any{"ask": true}).want(t, 202).json(t)["run_id"].(string)
	e := ts.post("operator", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "restrat", "answer": "yes"}).wantError(t, 400, ClassValidation)
	msg, _ := e["message"].(string)
	if e["field"] != "step" || !strings.Contains(msg, `did you mean "restart"`) || !strings.Contains(msg, "unknown step") {
		t.Errorf("unknown step: %v", e)
	}
	ts.post("operator", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
}
