package cli

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// TestApprovalOnSharedQueueIsJudgedByTheRolesHeldNow: a run of the shared
// queue waits on a confirm: question; before its approvers answer, a
// reload of the keys file cuts its starter bob from admin to viewer and
// a reload of the policy takes file.write from role ops, carol's. Their
// yes is refused with 403, and audited as refused, by whichever replica
// receives it, the one running the run or the other, and the step does
// not run; an admin's no then ends the run.
func TestApprovalOnSharedQueueIsJudgedByTheRolesHeldNow(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	f := c.fix
	target := filepath.Join(f.dir, "written.txt")
	writePlaybook(t, f.playbooks, "gated.yaml", "version: 1\nname: gated\nsteps:\n"+
		"  - {id: first, op: control.log, with: {message: before the question}}\n"+
		"  - {id: w, op: file.write, confirm: \"write it?\", with: {path: "+target+", content: written}, needs: [first]}\n")
	keys, err := os.ReadFile(f.keys)
	if err != nil {
		t.Fatal(err)
	}
	bob, bobDigest, err := server.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	carol, carolDigest, err := server.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	replace := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path+".new", []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
	keysWith := func(bobRole string) string {
		return string(keys) + fmt.Sprintf("  - {name: bob, sha256: %s, roles: [%s]}\n  - {name: carol, sha256: %s, roles: [ops]}\n",
			bobDigest, bobRole, carolDigest)
	}
	policy := filepath.Join(f.dir, "policy.yaml")
	policyAllowing := func(allow string) string {
		return "version: 1\nroles:\n  ops:\n    allow: [" + allow + "]\n"
	}
	replace(f.keys, keysWith("admin"))
	replace(policy, policyAllowing("control.*, file.write"))
	a, b := c.start(t, "--policy", policy), c.start(t, "--policy", policy)

	code, out := apiCall(t, "POST", a.base+"/api/v1/playbooks/gated/runs", bob, map[string]any{"ask": true})
	if code != http.StatusAccepted {
		t.Fatalf("bob starts gated: %d %v", code, out)
	}
	id := out["run_id"].(string)
	runner, other := c.runnerOf(t, id, "first", a, b)
	// mayApprove is what a replica's questions say of key's yes: may_act
	// and the question's may_approve.
	mayApprove := func(r *replica, key string) (asking, mayAct, mayYes bool) {
		t.Helper()
		code, out := apiCall(t, "GET", r.base+"/api/v1/runs/"+id+"/questions", key, nil)
		if code != http.StatusOK {
			t.Fatalf("questions through %s: %d %v", r.base, code, out)
		}
		qs, _ := out["questions"].([]any)
		if len(qs) != 1 {
			return false, false, false
		}
		q := qs[0].(map[string]any)
		return true, out["may_act"] == true, q["may_approve"] == true
	}
	for _, r := range []*replica{runner, other} {
		waitWithin(t, 20*time.Second, "the question listed by "+r.base, func() bool {
			asking, _, _ := mayApprove(r, bob)
			return asking
		})
		for name, key := range map[string]string{"bob": bob, "carol": carol} {
			if _, act, yes := mayApprove(r, key); !act || !yes {
				t.Fatalf("before the reload, %s through %s: may_act %v, may_approve %v, want both", name, r.base, act, yes)
			}
		}
	}

	replace(f.keys, keysWith("viewer"))
	replace(policy, policyAllowing("control.*"))
	for _, r := range []*replica{runner, other} {
		r.p.cmd.Process.Signal(syscall.SIGHUP)
		waitWithin(t, 20*time.Second, "the reload of "+r.base, func() bool {
			_, _, bobYes := mayApprove(r, bob)
			_, carolActs, _ := mayApprove(r, carol)
			return !bobYes && !carolActs
		})
	}

	for _, r := range []*replica{other, runner} {
		code, out := apiCall(t, "POST", r.base+"/api/v1/runs/"+id+"/confirm", bob, map[string]any{"step": "w", "answer": "yes"})
		e, _ := out["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if code != http.StatusForbidden || !strings.Contains(msg, "bob started run "+id+" with roles admin but holds viewer now and may not approve step w") {
			t.Errorf("bob's yes through %s once cut to viewer: %d %v", r.base, code, out)
		}
		code, out = apiCall(t, "POST", r.base+"/api/v1/runs/"+id+"/confirm", carol, map[string]any{"step": "w", "answer": "yes"})
		if e, _ := out["error"].(map[string]any); code != http.StatusForbidden || e["class"] != "authorization" {
			t.Errorf("carol's yes through %s once ops lost file.write: %d %v", r.base, code, out)
		}
		if got := strings.Join(auditConfirms(t, r, id), " "); got != "bob:yes:denied carol:yes:denied" {
			t.Errorf("confirm lines in the audit log of %s: %s, want bob:yes:denied carol:yes:denied", r.base, got)
		}
	}
	if asking, _, _ := mayApprove(runner, f.admin); !asking {
		t.Error("the question was closed by a refused yes")
	}

	code, out = apiCall(t, "POST", other.base+"/api/v1/runs/"+id+"/confirm", f.admin, map[string]any{"step": "w", "answer": "no"})
	if code != http.StatusOK {
		t.Fatalf("the admin's no: %d %v", code, out)
	}
	waitWithin(t, 20*time.Second, "the run recorded ended", func() bool {
		return c.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND status <> 'running'`, id) == 1
	})
	if _, err := os.Stat(target); err == nil {
		t.Error("the step bob and carol may no longer run was approved: the file was written")
	}
}
