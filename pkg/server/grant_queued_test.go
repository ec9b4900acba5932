package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// TestGrantHolderCancelsQueuedRun: a run waiting in the shared queue keeps
// its inputs sealed, yet a grant's holder is judged on them as on a
// running run's: bob, whose grant allows env staging and 1 or 2 replicas,
// may cancel Alice's waiting staging run with 2 replicas (given as JSON,
// a number the run reads as an integer), and not her production run (403,
// naming the input). Neither answer shows her secret input.
func TestGrantHolderCancelsQueuedRun(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), 10)
	ts.addPlaybook(t, "deploy.yaml", `version: 1
name: deploy
inputs:
  env: {type: string, enum: [staging, production]}
  replicas: {type: integer, default: 1}
  token: {type: string, secret: true, default: none}
steps:
  - {id: ship, op: shell.exec, with: {command: ["true"]}}
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
        inputs: {env: [staging], replicas: [1, 2]}
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
	const secret = "hunter2-t0ken"
	queue := func(env string) string {
		t.Helper()
		r := ts.do(request{method: "POST", path: "/api/v1/playbooks/deploy/runs", rawKey: aliceKey,
			body: map[string]any{"inputs": map[string]any{"env": env, "replicas": 2, "token": secret}}}).want(t, 202).json(t)
		if r["status"] != "queued" {
			t.Fatalf("the %s run is %v, want queued (the queue takes no job here)", env, r["status"])
		}
		return r["run_id"].(string)
	}
	cancel := func(key, id string) *resp {
		t.Helper()
		r := ts.do(request{method: "POST", path: "/api/v1/runs/" + id + "/cancel", rawKey: key})
		if strings.Contains(string(r.body), secret) {
			t.Errorf("the answer to the cancel shows the secret input: %s", r.body)
		}
		return r
	}

	prod := queue("production")
	e := cancel(bobKey, prod).wantError(t, 403, ClassAuthorization)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "does not let the caller set env") {
		t.Errorf("403 for bob's cancel of the production run: %v", e)
	}
	if rep := ts.do(request{method: "GET", path: "/api/v1/runs/" + prod, rawKey: aliceKey}).want(t, 200).json(t); rep["status"] != "queued" {
		t.Errorf("the production run is %v after bob's refused cancel, want queued", rep["status"])
	}

	staging := queue("staging")
	cancel(bobKey, staging).want(t, 202)
	if j, err := ts.srv.cfg.Queue.Find(context.Background(), staging); err != nil || j.State != "cancelled" {
		t.Errorf("the staging run's job is %q (%v) after bob's cancel, want cancelled", j.State, err)
	}
	cancel(aliceKey, prod).want(t, 202)
}
