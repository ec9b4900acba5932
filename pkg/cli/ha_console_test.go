package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The tests here check the console across replicas on one database: a
// session signed in through one replica is taken by the other and signed
// out through either, and a confirm: question of a run that one replica
// executes is listed and answered through the other.

// sessionCall sends a request with a session cookie (and its CSRF token
// when csrf is not "") and returns the status and the decoded answer.
func sessionCall(t *testing.T, method, url, cookie, csrf string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	if method == "POST" && strings.HasSuffix(url, "/api/v1/session") {
		for _, c := range res.Cookies() {
			if c.Name == "arsenal_session" {
				m["cookie"] = c.Name + "=" + c.Value
			}
		}
	}
	return res.StatusCode, m
}

// TestSessionsAcrossReplicas: sign in through replica A, use the cookie
// on replica B, sign out through B: A refuses the cookie at once.
func TestSessionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	a, b := c.start(t), c.start(t)
	res, err := http.Get(a.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / on a replica with --state: %d, want the console (200)", res.StatusCode)
	}
	code, in := sessionCall(t, "POST", a.base+"/api/v1/session", "", "", map[string]any{"key": c.fix.admin})
	cookie, _ := in["cookie"].(string)
	csrf, _ := in["csrf_token"].(string)
	if code != http.StatusCreated || cookie == "" || csrf == "" {
		t.Fatalf("sign in through A: %d %v", code, in)
	}
	code, who := sessionCall(t, "GET", b.base+"/api/v1/session", cookie, "", nil)
	if code != http.StatusOK || who["name"] != "admin" || who["via"] != "session" || who["csrf_token"] != csrf {
		t.Fatalf("the session of A on B: %d %v", code, who)
	}
	code, runs := sessionCall(t, "GET", b.base+"/api/v1/runs", cookie, "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET runs on B with A's session: %d %v", code, runs)
	}
	if code, out := sessionCall(t, "DELETE", b.base+"/api/v1/session", cookie, "", nil); code != http.StatusForbidden {
		t.Fatalf("sign out on B without the CSRF token: %d %v, want 403", code, out)
	}
	if code, out := sessionCall(t, "DELETE", b.base+"/api/v1/session", cookie, csrf, nil); code != http.StatusOK {
		t.Fatalf("sign out through B: %d %v", code, out)
	}
	for _, r := range []*replica{a, b} {
		code, out := sessionCall(t, "GET", r.base+"/api/v1/session", cookie, "", nil)
		msg, _ := out["error"].(string)
		if m, ok := out["error"].(map[string]any); ok {
			msg, _ = m["message"].(string)
		}
		if code != http.StatusUnauthorized || !strings.Contains(msg, "signed out") {
			t.Errorf("the signed-out cookie on %s: %d %v, want 401 saying it was signed out", r.base, code, out)
		}
	}
	// A new sign-in through B works on A: one key for both.
	code, in = sessionCall(t, "POST", b.base+"/api/v1/session", "", "", map[string]any{"key": c.fix.admin})
	if code != http.StatusCreated {
		t.Fatalf("sign in again through B: %d %v", code, in)
	}
	if code, out := sessionCall(t, "GET", a.base+"/api/v1/session", in["cookie"].(string), "", nil); code != http.StatusOK {
		t.Errorf("B's new session on A: %d %v", code, out)
	}
}

const askPlaybook = `version: 1
name: ask
steps:
  - {id: first, op: control.log, with: {message: before the question}}
  - {id: deploy, op: shell.exec, with: {command: ["true"]}, confirm: "Deploy to production?", needs: [first]}
  - {id: after, op: control.log, with: {message: answered}, needs: [deploy]}
`

// auditConfirms returns the confirm lines of a replica's audit log for a
// run: who answered, and the answer.
func auditConfirms(t *testing.T, r *replica, runID string) []string {
	t.Helper()
	data, err := os.ReadFile(r.audit)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			RunID   string `json:"run_id"`
			Action  string `json:"action"`
			Who     string `json:"who"`
			Answer  string `json:"answer"`
			Outcome string `json:"outcome"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.RunID == runID && l.Action == "confirm" {
			out = append(out, l.Who+":"+l.Answer+":"+l.Outcome)
		}
	}
	return out
}

// TestConfirmAcrossReplicas: a run started with "ask" through one replica
// and executed by either has its confirm: question listed and answered
// through the replica that does not run it; the answer is audited there
// with who gave it, the run goes on, and a second answer is refused.
func TestConfirmAcrossReplicas(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	writePlaybook(t, c.fix.playbooks, "ask.yaml", askPlaybook)
	a, b := c.start(t), c.start(t)
	code, body := apiCall(t, "POST", a.base+"/api/v1/playbooks/ask/runs", c.fix.admin, map[string]any{"ask": true})
	if code != http.StatusAccepted {
		t.Fatalf("start the run: %d %v", code, body)
	}
	id := body["run_id"].(string)
	runner, other := c.runnerOf(t, id, "first", a, b)
	var questions []any
	waitWithin(t, 20*time.Second, "the question listed by the other replica", func() bool {
		code, body := apiCall(t, "GET", other.base+"/api/v1/runs/"+id+"/questions", c.fix.admin, nil)
		if code != http.StatusOK {
			t.Fatalf("questions through the other replica: %d %v", code, body)
		}
		questions, _ = body["questions"].([]any)
		if len(questions) == 1 && body["may_act"] != true {
			t.Fatalf("admin may not answer: %v", body)
		}
		return len(questions) == 1
	})
	q := questions[0].(map[string]any)
	if q["step"] != "deploy" || q["question"] != "Deploy to production?" || q["run_id"] != id {
		t.Fatalf("the question: %v", q)
	}
	code, body = apiCall(t, "GET", other.base+"/api/v1/runs/"+id+"/questions", c.fix.viewer, nil)
	if code != http.StatusOK || body["may_act"] != false {
		t.Errorf("questions for the viewer: %d %v, want may_act false", code, body)
	}
	code, body = apiCall(t, "POST", other.base+"/api/v1/runs/"+id+"/confirm", c.fix.viewer, map[string]any{"step": "deploy", "answer": "yes"})
	if code != http.StatusForbidden {
		t.Errorf("the viewer answers: %d %v, want 403", code, body)
	}
	code, body = apiCall(t, "POST", other.base+"/api/v1/runs/"+id+"/confirm", c.fix.admin, map[string]any{"step": "deploy", "answer": "yes"})
	if code != http.StatusOK || body["by"] != "admin" || body["run_id"] != id {
		t.Fatalf("answer through the other replica: %d %v", code, body)
	}
	code, body = apiCall(t, "POST", runner.base+"/api/v1/runs/"+id+"/confirm", c.fix.admin, map[string]any{"step": "deploy", "answer": "no"})
	if code != http.StatusConflict {
		t.Errorf("a second answer through the running replica: %d %v, want 409", code, body)
	}
	waitWithin(t, 20*time.Second, "the run recorded succeeded", func() bool {
		return c.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND status = 'succeeded'`, id) == 1
	})
	if n := c.executionsOf(t, runner, "after")[id]; n != 1 {
		t.Errorf("the step after the question ran %d times on its replica, want 1", n)
	}
	// The viewer's refused answer is a line too, denied.
	if got := auditConfirms(t, other, id); strings.Join(got, " ") != "viewer:yes:denied admin:yes:answered" {
		t.Errorf("confirm lines in the receiving replica's audit log: %v, want [viewer:yes:denied admin:yes:answered]", got)
	}
	if got := auditConfirms(t, runner, id); len(got) != 0 {
		t.Errorf("confirm lines in the running replica's audit log: %v, want none (audited where received)", got)
	}
	code, body = apiCall(t, "GET", a.base+"/api/v1/runs/"+id, c.fix.admin, nil)
	if code != http.StatusOK {
		t.Fatalf("the report: %d %v", code, body)
	}
	var conf map[string]any
	for _, s := range body["steps"].([]any) {
		if st := s.(map[string]any); st["id"] == "deploy" {
			conf, _ = st["confirmation"].(map[string]any)
		}
	}
	if conf == nil || conf["by"] != "admin" {
		t.Errorf("the step's confirmation in the report: %v, want one by admin", conf)
	}
	if n := c.count(t, `SELECT count(*) FROM run_questions WHERE run_id = $1`, id); n != 0 {
		t.Errorf("%d questions of the ended run left in the database", n)
	}
}
