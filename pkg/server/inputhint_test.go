package server

import (
	"strings"
	"testing"
)

// A required input nobody gave is answered in the words of its reader: a
// client of the API sends it in "inputs", a user of the console fills in
// its field; neither is told of the command line's --input NAME=VALUE
// nor of serve's variable, which neither can set.
func TestMissingInputHintPerCaller(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "deploy.yaml", `version: 1
name: deploy
inputs:
  target: {type: string, required: true, env: DEPLOY_TARGET_UNSET}
steps:
  - {id: a, op: control.noop}
`)
	check := func(who, msg, want string) {
		t.Helper()
		if !strings.Contains(msg, "target is required; "+want) || strings.Contains(msg, "give it with --input") || strings.Contains(msg, "DEPLOY_TARGET_UNSET") {
			t.Errorf("%s: %q, want the advice %q", who, msg, want)
		}
	}
	apiHint := `send it in the request's "inputs", as {"inputs": {"target": VALUE}}`
	e := ts.post("operator", "/api/v1/playbooks/deploy/runs", map[string]any{}).wantError(t, 400, ClassValidation)
	if e["field"] != "inputs.target" {
		t.Errorf("field %v", e["field"])
	}
	check("API run", e["message"].(string), apiHint)
	pf := ts.post("operator", "/api/v1/playbooks/deploy/preflight", map[string]any{}).want(t, 200).json(t)
	check("API preflight", pf["problems"].([]any)[0].(map[string]any)["message"].(string), apiHint)

	s := ts.signIn(t, "operator")
	e = ts.as(s, "POST", "/api/v1/playbooks/deploy/runs", map[string]any{}, true).wantError(t, 400, ClassValidation)
	check("console run", e["message"].(string), "fill in its field")
	pf = ts.as(s, "POST", "/api/v1/playbooks/deploy/preflight", map[string]any{}, true).want(t, 200).json(t)
	check("console preflight", pf["problems"].([]any)[0].(map[string]any)["message"].(string), "fill in its field")
}
