package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// TestApproverNeedsTheStepsRights: a caller who did not start a run may
// answer yes to its question only when their roles allow the step asked
// about as the run's roles do. Before, roles that could have started the
// run, judged on the playbook as written, approved what they would have
// been denied once the values were known: an operator approved the
// file.delete of a sub-playbook an input named, and a role confined to
// one directory approved a file.write outside it.
func TestApproverNeedsTheStepsRights(t *testing.T) {
	ts := newTestServer(t)
	dir := t.TempDir()
	limited := filepath.Join(dir, "limited")
	if err := os.MkdirAll(limited, 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts.addPlaybook(t, "wrapper.yaml", `version: 1
name: wrapper
inputs: {sub: {type: string, default: benign.yaml}}
steps:
  - {id: call, op: playbook.run, with: {path: "${{ inputs.sub }}"}}
`)
	ts.addPlaybook(t, "danger.yaml", "version: 1\nname: danger\nsteps:\n  - {id: del, op: file.delete, confirm: \"delete?\", with: {path: "+victim+"}}\n")
	ts.addPlaybook(t, "wfile.yaml", `version: 1
name: wfile
inputs: {path: {type: string}}
steps:
  - {id: w, op: file.write, confirm: "write?", with: {path: "${{ inputs.path }}", content: written}}
`)
	st := ts.srv.current().State
	policy, err := auth.ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  boss: {allow: ["*"], file_roots: [`+dir+`, `+ts.pbDir+`]}
  ops: {max_risk: write, file_roots: [`+dir+`, `+ts.pbDir+`]}
  confined: {max_risk: write, file_roots: [`+limited+`, `+ts.pbDir+`]}
`), ts.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	bossKey, bd, _ := NewKey()
	opsKey, od, _ := NewKey()
	confinedKey, cd, _ := NewKey()
	otherBossKey, obd, _ := NewKey()
	keys, err := ParseKeys("k.yaml", []byte(fmt.Sprintf("version: 1\nkeys:\n  - {name: boss, sha256: %s, roles: [boss]}\n  - {name: ops, sha256: %s, roles: [ops]}\n  - {name: confined, sha256: %s, roles: [confined]}\n  - {name: boss2, sha256: %s, roles: [boss]}\n", bd, od, cd, obd)))
	if err != nil {
		t.Fatal(err)
	}
	st.Keys, st.Policy = keys, policy
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	post := func(key, path string, body any) *resp {
		t.Helper()
		return ts.do(request{method: "POST", path: path, rawKey: key, body: body})
	}
	question := func(id string) map[string]any {
		t.Helper()
		var q map[string]any
		eventually(t, "the question of run "+id, func() bool {
			qs := ts.do(request{method: "GET", path: "/api/v1/runs/" + id + "/questions", rawKey: bossKey}).want(t, 200).json(t)["questions"].([]any)
			if len(qs) == 1 {
				q = qs[0].(map[string]any)
			}
			return q != nil
		})
		return q
	}

	// A sub-playbook named by an input: ops may start wrapper (playbook.run
	// is a read), but not the file.delete it reaches, nor anything else
	// ops may not run that another sub-playbook could.
	id := post(bossKey, "/api/v1/playbooks/wrapper/runs", map[string]any{"ask": true, "inputs": map[string]any{"sub": "danger.yaml"}}).want(t, 202).json(t)["run_id"].(string)
	q := question(id)
	yes := map[string]any{"step": "del", "run_id": q["run_id"], "answer": "yes"}
	e := post(opsKey, "/api/v1/runs/"+id+"/confirm", yes).wantError(t, 403, ClassAuthorization)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "could not have started it: step call runs a sub-playbook known only when it runs") {
		t.Errorf("403 for ops's answer: %v", e)
	}
	// The refusal's audit line says which step was answered, and how.
	if !refusedAnswerAudited(t, ts.audit, "ops", "del", "yes") {
		t.Errorf("the audit log has no line of ops's refused yes to step del")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatal("the victim is gone")
	}
	// Nor may ops cancel it, or say no: roles that may not run what a
	// sub-playbook named at run time may do could not have started that
	// same run. Before, the playbook as written was judged alone.
	e = post(opsKey, "/api/v1/runs/"+id+"/cancel", nil).wantError(t, 403, ClassAuthorization)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "sub-playbook known only when it runs") {
		t.Errorf("403 for ops's cancel: %v", e)
	}
	post(opsKey, "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "del", "run_id": q["run_id"], "answer": "no"}).wantError(t, 403, ClassAuthorization)
	post(otherBossKey, "/api/v1/runs/"+id+"/confirm", yes).want(t, 200)
	h, _ := ts.mgr.Get(id)
	if h != nil {
		<-h.Done()
	}
	if _, err := os.Stat(victim); err == nil {
		t.Error("boss2's yes did not delete the victim")
	}

	// A path outside the approver's file roots.
	outside := filepath.Join(dir, "outside.txt")
	id = post(bossKey, "/api/v1/playbooks/wfile/runs", map[string]any{"ask": true, "inputs": map[string]any{"path": outside}}).want(t, 202).json(t)["run_id"].(string)
	question(id)
	e = post(confinedKey, "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "w", "answer": "yes"}).wantError(t, 403, ClassAuthorization)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "other file roots") {
		t.Errorf("403 for confined's answer: %v", e)
	}
	// No may still be said, by whoever could have started the run.
	post(confinedKey, "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "w", "answer": "no"}).want(t, 200)
	if h, _ := ts.mgr.Get(id); h != nil {
		<-h.Done()
		if rep := h.Report(); rep == nil || rep.Status == "succeeded" {
			t.Errorf("the declined run: %v", rep)
		}
	}
	if _, err := os.Stat(outside); err == nil {
		t.Error("the file outside confined's roots was written")
	}
}

// TestApprovalIsJudgedOnTheOpenQuestion: a yes from a caller who did not
// start the run is judged on the question asked, so one sent before the
// question opens is refused, not let through to be taken, unjudged, by
// the question when it opens (a race a weaker role could win by sending
// yes again and again).
func TestApprovalIsJudgedOnTheOpenQuestion(t *testing.T) {
	ts := newTestServer(t)
	st := ts.srv.current()
	e := ts.srv.mayApprove(st, "r1", nil, "", []string{"admin"}, nil, confirmRequest{Step: "w", Answer: "yes"}, &Principal{Name: "viewer", Roles: []string{"viewer"}}, false)
	if e == nil || e.Status != 409 {
		t.Fatalf("a yes to a question not open = %v, want 409", e)
	}
	if !strings.Contains(e.Message, "not asking") {
		t.Errorf("message: %s", e.Message)
	}
}

// TestActingOnARunIsJudgedOnWhatItRuns: who may cancel a run they did not
// start is decided by the playbook the run runs, not the file served
// under its name after a reload changed it.
func TestActingOnARunIsJudgedOnWhatItRuns(t *testing.T) {
	ts := newTestServer(t)
	victim := filepath.Join(t.TempDir(), "victim.txt")
	if err := os.WriteFile(victim, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts.addPlaybook(t, "adminonly.yaml", "version: 1\nname: adminonly\nsteps:\n  - {id: del, op: file.delete, with: {path: "+victim+"}}\n  - {id: wait, op: control.sleep, with: {duration: 60s}}\n")
	id := ts.post("admin", "/api/v1/playbooks/adminonly/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	ts.post("viewer", "/api/v1/runs/"+id+"/cancel", nil).want(t, 403)
	// The file now only waits, which a viewer could start.
	ts.addPlaybook(t, "adminonly.yaml", "version: 1\nname: adminonly\nsteps:\n  - {id: wait, op: control.sleep, with: {duration: 60s}}\n")
	e := ts.post("viewer", "/api/v1/runs/"+id+"/cancel", nil).wantError(t, 403, ClassAuthorization)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "file.delete") {
		t.Errorf("403 names no step of the run: %v", e)
	}
	ts.post("admin", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
}

// refusedAnswerAudited tells whether the audit log at path has the line
// of who's refused answer to step: action confirm, outcome denied, with
// the step and the answer.
func refusedAnswerAudited(t *testing.T, path, who, step, answer string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var l auth.AuditLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if l.Action == auth.ActionConfirm && l.Outcome == "denied" && l.Who == who {
			return l.Step == step && l.Answer == answer && l.Error != nil && l.Error.Class == "authorization"
		}
	}
	return false
}
