package server

import (
	"strings"
	"testing"
)

// TestQuestionsSayWhatTheCallerMayDo: the questions of a run say, for the
// caller, what cancel and confirm would refuse them: a viewer who could
// not have started the run reads why (refused), and that a yes of theirs
// is refused; an operator who did not start it but could have may say
// yes to a step their roles allow as the run's do.
func TestQuestionsSayWhatTheCallerMayDo(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "asks.yaml", `version: 1
name: asks
steps:
  - {id: restart, op: shell.exec, confirm: "Restart the workers?", with: {command: ["true"]}}
`)
	id := ts.post("admin", "/api/v1/playbooks/asks/runs", map[string]any{"ask": true}).want(t, 202).json(t)["run_id"].(string)
	defer ts.post("admin", "/api/v1/runs/"+id+"/cancel", nil)
	eventually(t, "the question", func() bool {
		return len(ts.get("admin", "/api/v1/runs/"+id+"/questions").want(t, 200).json(t)["questions"].([]any)) == 1
	})
	viewer := ts.get("viewer", "/api/v1/runs/"+id+"/questions").want(t, 200).json(t)
	q := viewer["questions"].([]any)[0].(map[string]any)
	refused, _ := viewer["refused"].(string)
	if viewer["may_act"] != false || !strings.Contains(refused, "did not start run "+id+" and could not have started it") ||
		q["may_approve"] != false || q["yes_refused"] != refused {
		t.Errorf("the viewer's questions: %v", viewer)
	}
	operator := ts.get("operator", "/api/v1/runs/"+id+"/questions").want(t, 200).json(t)
	q = operator["questions"].([]any)[0].(map[string]any)
	if operator["may_act"] != true || operator["refused"] != nil || q["may_approve"] != true || q["yes_refused"] != nil {
		t.Errorf("the operator's questions: %v", operator)
	}
}
