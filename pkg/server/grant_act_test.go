package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestGrantHolderActsOnlyOnRunsTheGrantAllows: a caller who reaches a
// runbook only through a grant may answer or cancel someone else's run of
// it only when the grant would have let them start that run, inputs
// included. Bob's grant allows env staging: he may not approve or cancel
// Alice's run with env production (403, naming the input, and the run
// still waits; each attempt audited), and may approve her run with env
// staging.
func TestGrantHolderActsOnlyOnRunsTheGrantAllows(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "deploy.yaml", `version: 1
name: deploy
inputs:
  env: {type: string, enum: [staging, production]}
steps:
  - {id: ship, op: shell.exec, confirm: "Deploy?", with: {command: ["true"]}}
`)
	st := ts.srv.current().State
	pb, ok := st.Playbooks.Get("deploy")
	if !ok {
		t.Fatal("deploy is not served")
	}
	policy, err := auth.ParsePolicy(filepath.Join(filepath.Dir(ts.pbDir), "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    max_risk: read
    playbooks:
      - path: playbooks/deploy.yaml
        sha256: "`+pb.SHA256+`"
        as: operator
        inputs: {env: [staging]}
`), ts.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	aliceKey, ad, _ := NewKey()
	bobKey, bd, _ := NewKey()
	keys, err := ParseKeys("k.yaml", []byte(fmt.Sprintf("version: 1\nkeys:\n  - {name: alice, sha256: %s, roles: [operator]}\n  - {name: bob, sha256: %s, roles: [oncall]}\n", ad, bd)))
	if err != nil {
		t.Fatal(err)
	}
	st.Keys, st.Policy = keys, policy
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	as := func(key, path string, body any) *resp {
		t.Helper()
		return ts.do(request{method: "POST", path: path, rawKey: key, body: body})
	}
	mayAct := func(key, id string) bool {
		t.Helper()
		qs := ts.do(request{method: "GET", path: "/api/v1/runs/" + id + "/questions", rawKey: key}).want(t, 200).json(t)
		return qs["may_act"] == true && len(qs["questions"].([]any)) == 1
	}
	start := func(env string) (string, *runs.Handle) {
		t.Helper()
		id := as(aliceKey, "/api/v1/playbooks/deploy/runs", map[string]any{"ask": true, "inputs": map[string]any{"env": env}}).want(t, 202).json(t)["run_id"].(string)
		eventually(t, "the question of the "+env+" run", func() bool { return mayAct(aliceKey, id) })
		h, _ := ts.mgr.Get(id)
		return id, h
	}
	yes := map[string]any{"step": "ship", "answer": "yes"}

	prod, h := start("production")
	if mayAct(bobKey, prod) {
		t.Error("the questions list says bob may act on the production run")
	}
	e := as(bobKey, "/api/v1/runs/"+prod+"/confirm", yes).wantError(t, 403, ClassAuthorization)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "does not let the caller set env") || e["rule"] == nil {
		t.Errorf("403 for bob's answer: %v", e)
	}
	as(bobKey, "/api/v1/runs/"+prod+"/cancel", nil).wantError(t, 403, ClassAuthorization)
	if !mayAct(aliceKey, prod) || h.State() != runs.StateRunning {
		t.Fatalf("the production run no longer waits: %s", h.State())
	}
	// Both attempts are in the audit log, refused, with who and why.
	var refused []string
	for _, l := range auditLines(t, ts.audit) {
		if l.Who == "bob" && l.Outcome == "denied" && l.RunID == prod && l.Error != nil && strings.Contains(l.Error.Message, "does not let the caller set env") {
			refused = append(refused, l.Action)
		}
	}
	if strings.Join(refused, " ") != "confirm cancel" {
		t.Errorf("bob's refused actions audited: %q, want confirm and cancel", refused)
	}
	as(aliceKey, "/api/v1/runs/"+prod+"/cancel", nil).want(t, 202)
	<-h.Done()

	staging, h := start("staging")
	if !mayAct(bobKey, staging) {
		t.Error("the questions list says bob may not act on the staging run")
	}
	as(bobKey, "/api/v1/runs/"+staging+"/confirm", yes).want(t, 200)
	<-h.Done()
	if rep := h.Report(); rep == nil || rep.Status != "succeeded" {
		t.Errorf("the staging run: %v", rep)
	}
}

// auditLines reads the audit log at path.
func auditLines(t *testing.T, path string) []auth.AuditLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []auth.AuditLine
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		var l auth.AuditLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, l)
	}
	return out
}
