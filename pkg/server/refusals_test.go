package server

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestListRunsRefusesAnUnknownStatus: a misspelt status is refused, naming
// the parameter, the statuses and the likely one (or the one another
// tool's word means), instead of answering no runs; a known status, queued
// included, still filters.
func TestListRunsRefusesAnUnknownStatus(t *testing.T) {
	ts := newTestServer(t)
	e := ts.get("viewer", "/api/v1/runs?status=faild").wantError(t, 400, ClassValidation)
	msg, _ := e["message"].(string)
	if e["field"] != "status" || !strings.Contains(msg, `did you mean "failed"`) || !strings.Contains(msg, "succeeded, failed") {
		t.Errorf("?status=faild: %v", e)
	}
	ts.get("viewer", "/api/v1/runs?status=bogus").wantError(t, 400, ClassValidation)
	// Other tools' words for a status, which no spelling distance
	// reaches, name the status they mean.
	for word, want := range map[string]string{"error": "failed", "Success": "succeeded", "ok": "succeeded", "done": "succeeded", "canceled": "cancelled", "pending": "queued",
		// and their typos
		"sucess": "succeeded", "Sucessful": "succeeded", "faliure": "failed"} {
		e := ts.get("viewer", "/api/v1/runs?status="+word).wantError(t, 400, ClassValidation)
		if msg, _ := e["message"].(string); e["field"] != "status" || !strings.Contains(msg, `(did you mean "`+want+`"?)`) {
			t.Errorf("?status=%s: %v", word, e)
		}
	}
	for _, q := range []string{"?status=failed", "?status=queued", "?status=interrupted", "?status="} {
		ts.get("viewer", "/api/v1/runs"+q).want(t, 200)
	}
}

// TestListRunsTriggerScheduler: trigger=scheduler, the started_by of a
// scheduled run, is refused naming the parameter and schedule, the
// trigger it means.
func TestListRunsTriggerScheduler(t *testing.T) {
	ts := newTestServer(t)
	for q, want := range map[string]string{"scheduler": `(did you mean "schedule"?): "scheduler" is who started`, "Manual": `(did you mean "cli"?)`, "ap": `(did you mean "api"?)`} {
		e := ts.get("viewer", "/api/v1/runs?trigger="+q).wantError(t, 400, ClassValidation)
		if msg, _ := e["message"].(string); e["field"] != "trigger" || !strings.Contains(msg, want) || !strings.Contains(msg, "give cli, schedule or api") {
			t.Errorf("?trigger=%s: %v", q, e)
		}
	}
}

// TestProtectedProcessRefusalNamesNoAllowRule: an operation that refuses
// a call the policy allowed (signalling pid 1) answers 403 with its own
// reason, and does not give the policy's allow rule as the deciding rule.
func TestProtectedProcessRefusalNamesNoAllowRule(t *testing.T) {
	ts := newTestServer(t)
	for _, r := range []*resp{
		ts.do(request{method: "DELETE", path: "/api/v1/processes/1", key: "admin"}),
		ts.post("admin", "/api/v1/operations/process.signal/execute", map[string]any{"params": map[string]any{"pid": 1, "signal": "TERM"}}),
	} {
		e := r.wantError(t, 403, ClassAuthorization)
		rule, _ := e["rule"].(string)
		msg, _ := e["message"].(string)
		if strings.Contains(rule, "allow") && !strings.Contains(rule, "safeguard") {
			t.Errorf("the allow rule %q is given as the deciding rule of a denial: %s", rule, r.body)
		}
		if !strings.Contains(msg, "pid 1") {
			t.Errorf("the message does not say why: %s", r.body)
		}
	}
	// A denial by the policy still names its rule.
	e := ts.do(request{method: "DELETE", path: "/api/v1/processes/1", key: "viewer"}).wantError(t, 403, ClassAuthorization)
	if e["rule"] == "" || e["rule"] == nil {
		t.Errorf("a policy denial names no rule: %v", e)
	}
}

// TestBodyOfWrongKindNamesTheBody: a body that is JSON but not an object
// is refused with a message that names the body, not an empty field.
func TestBodyOfWrongKindNamesTheBody(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/api/v1/playbooks/hello/runs", "/api/v1/operations/control.noop/execute", "/api/v1/session"} {
		for _, body := range []string{`[]`, `"x"`, `1`, `null`, ` null `} {
			r := ts.do(request{method: "POST", path: path, key: "operator", body: body})
			e := r.wantError(t, 400, ClassValidation)
			msg, _ := e["message"].(string)
			if !strings.HasPrefix(msg, "the request body: want a JSON object") || e["field"] != nil {
				t.Errorf("POST %s %s: %s", path, body, r.body)
			}
		}
	}
	// A field of the wrong kind is still named.
	e := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{"inputs": []any{}}).wantError(t, 400, ClassValidation)
	if e["field"] != "inputs" {
		t.Errorf("inputs: []: %v", e)
	}
}

// TestSessionRefusesAKeyInTheURL: signing in with the key in the query
// gets the warning every other endpoint gives: the key is in logs now.
func TestSessionRefusesAKeyInTheURL(t *testing.T) {
	ts := newTestServer(t)
	for _, q := range []string{"?key=", "?api_key="} {
		r := ts.do(request{method: "POST", path: "/api/v1/session" + q + ts.keys["admin"], body: map[string]any{"key": ts.keys["admin"]}})
		e := r.wantError(t, 401, ClassAuthentication)
		if msg, _ := e["message"].(string); !strings.Contains(msg, "URLs end up in logs") || !strings.Contains(msg, "replace the key") {
			t.Errorf("POST /api/v1/session%s: %s", q, r.body)
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Errorf("POST /api/v1/session%s signed in", q)
		}
	}
}

// TestUnknownFieldSaysWhatTheObjectTakes: an unknown field of a body is
// named with the fields its object takes and the likely one meant, at any
// depth.
func TestUnknownFieldSaysWhatTheObjectTakes(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		path, body, field, want string
	}{
		{"/api/v1/playbooks/hello/runs", `{"input": {}}`, "input", `(did you mean "inputs"?); this object takes inputs, dry_run, ask`},
		{"/api/v1/operations/control.noop/execute", `{"params": {}, "timout": "5s"}`, "timout", `(did you mean "timeout"?); this object takes params, timeout`},
		{"/api/v1/batch", `{"operations": [{"opp": "control.noop"}]}`, "operations[0].opp", "this object takes op, params, timeout"},
	} {
		r := ts.do(request{method: "POST", path: tc.path, key: "operator", body: tc.body})
		e := r.wantError(t, 400, ClassValidation)
		msg, _ := e["message"].(string)
		if e["field"] != tc.field || !strings.Contains(msg, tc.want) {
			t.Errorf("POST %s %s: %s", tc.path, tc.body, r.body)
		}
	}
}

// TestAKeyInTheURLByAnyName: a key in the query is refused whatever the
// case of its parameter's name, and under a name of the caller's own:
// either way it is in logs now: a key sent as a parameter's name, or as
// the header's value "Bearer KEY", too. A parameter that only looks like
// one (a playbook named ak_x) is not.
func TestAKeyInTheURLByAnyName(t *testing.T) {
	ts := newTestServer(t)
	key := ts.keys["viewer"]
	for _, q := range []string{"?TOKEN=" + key, "?Api_Key=" + key, "?auth=" + key, "?playbook=" + url.QueryEscape(key),
		"?" + key, "?authorization=" + url.QueryEscape("Bearer "+key), "?auth=Bearer+" + key} {
		r := ts.get("viewer", "/api/v1/runs"+q)
		e := r.wantError(t, 401, ClassAuthentication)
		if msg, _ := e["message"].(string); !strings.Contains(msg, "replace the key") || strings.Contains(msg, key) {
			t.Errorf("GET /api/v1/runs%s: %s", q, r.body)
		}
	}
	ts.get("viewer", "/api/v1/runs?playbook=ak_x").want(t, 200)
}

// TestUnknownOpPointsAtTheAPI: an API client told of an unknown operation
// is sent to the endpoint that lists them, not to a command of the CLI.
func TestUnknownOpPointsAtTheAPI(t *testing.T) {
	ts := newTestServer(t)
	r := ts.post("operator", "/api/v1/operations/shel.exec/execute", map[string]any{"params": map[string]any{"command": []string{"true"}}})
	e := r.wantError(t, 404, ClassNotFound)
	msg, _ := e["message"].(string)
	if !strings.Contains(msg, "GET /api/v1/operations") || strings.Contains(msg, "arsenal-run ops") || !strings.Contains(msg, `did you mean "shell.exec"`) {
		t.Errorf("unknown operation: %v", e)
	}
}

// TestPolicyDenialSaysWhatToDo: a 403 of the policy names the rule and
// says what to do: a key of a role the policy allows the operation, or a
// rule to add to the policy.
func TestPolicyDenialSaysWhatToDo(t *testing.T) {
	ts := newTestServer(t)
	e := ts.post("viewer", "/api/v1/operations/shell.exec/execute", map[string]any{"params": map[string]any{"command": []string{"true"}}}).wantError(t, 403, ClassAuthorization)
	msg, _ := e["message"].(string)
	if !strings.Contains(msg, "no rule of role viewer allows shell.exec") || !strings.Contains(msg, "use a key of a role whose rules in the policy allow it") || !strings.Contains(msg, "add a rule") {
		t.Errorf("execute denied: %v", e)
	}
	ts.addPlaybook(t, "sh.yaml", "version: 1\nname: sh\nsteps:\n  - {id: touch, op: shell.exec, with: {command: [\"true\"]}}\n")
	e = ts.post("viewer", "/api/v1/playbooks/sh/runs", map[string]any{}).wantError(t, 403, ClassAuthorization)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "use a key of a role whose rules in the policy allow it") {
		t.Errorf("run denied: %v", e)
	}
}

// TestParamDenialDoesNotAskForAnotherKey: a call preflight refuses for a
// param written literally (a path outside the file roots), under roles
// that may run the operation, is told to change the call or widen the
// role, not to find a key that may run an operation it may run already.
func TestParamDenialDoesNotAskForAnotherKey(t *testing.T) {
	ts := newTestServer(t)
	const outside = "/etc/arsenal-run-test/none" // neither the working nor the temp directory
	e := ts.post("viewer", "/api/v1/operations/file.read/execute", map[string]any{"params": map[string]any{"path": outside}}).wantError(t, 403, ClassAuthorization)
	msg, _ := e["message"].(string)
	if !strings.Contains(msg, "outside the allowed file roots") || strings.Contains(msg, "use a key of a role") ||
		!strings.Contains(msg, "the policy lets your key run file.read, but not with these params or inputs") {
		t.Errorf("execute denied for its path: %v", e)
	}
	ts.addPlaybook(t, "rd.yaml", "version: 1\nname: rd\nsteps:\n  - {id: rd, op: file.read, with: {path: "+strconv.Quote(outside)+"}}\n")
	e = ts.post("viewer", "/api/v1/playbooks/rd/runs", map[string]any{}).wantError(t, 403, ClassAuthorization)
	if msg, _ := e["message"].(string); strings.Contains(msg, "use a key of a role") || !strings.Contains(msg, "not with these params or inputs") {
		t.Errorf("run denied for a step's path: %v", e)
	}
}

// TestUnknownPluginOpAsksTheOperator: an API client that names an
// operation of a category the server has none of (a plugin it was not
// started with) is told to ask the server's operator, not to give a flag
// of the command line it cannot give to the server.
func TestUnknownPluginOpAsksTheOperator(t *testing.T) {
	ts := newTestServer(t)
	e := ts.post("operator", "/api/v1/operations/vault.read/execute", map[string]any{"params": map[string]any{}}).wantError(t, 404, ClassNotFound)
	msg, _ := e["message"].(string)
	if !strings.Contains(msg, "the server was not started with that plugin: ask its operator") || strings.Contains(msg, "load it with --plugins") || strings.Contains(msg, "ARSENAL_PLUGINS") {
		t.Errorf("unknown plugin operation: %v", e)
	}
}
