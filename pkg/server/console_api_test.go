package server

import (
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPreflightEndpoint: the start form's preflight names each step's
// verdict and rule for the caller, and each input problem by its field;
// it runs and records nothing.
func TestPreflightEndpoint(t *testing.T) {
	ts := newTestServer(t)
	pf := ts.post("viewer", "/api/v1/playbooks/shell/preflight", map[string]any{"inputs": map[string]any{}}).want(t, 200).json(t)
	step := pf["steps"].([]any)[0].(map[string]any)
	if pf["allowed"] != false || step["step"] != "sh" || step["allowed"] != false || step["risk"] != "write" || !strings.Contains(step["rule"].(string), "viewer") {
		t.Errorf("viewer's preflight of shell: %v", pf)
	}
	pf = ts.post("operator", "/api/v1/playbooks/shell/preflight", map[string]any{}).want(t, 200).json(t)
	if pf["allowed"] != true || pf["steps"].([]any)[0].(map[string]any)["allowed"] != true {
		t.Errorf("operator's preflight of shell: %v", pf)
	}
	pf = ts.post("operator", "/api/v1/playbooks/hello/preflight", map[string]any{"inputs": map[string]any{"times": "many", "whom": 1}}).want(t, 200).json(t)
	var fields []string
	for _, p := range pf["problems"].([]any) {
		fields = append(fields, p.(map[string]any)["field"].(string))
	}
	if diff := cmp.Diff([]string{"inputs.times", "inputs.whom"}, fields); diff != "" || pf["allowed"] != false || len(pf["steps"].([]any)) != 1 {
		t.Errorf("problems by field (-want +got):\n%s\n%v", diff, pf)
	}
	ts.post("operator", "/api/v1/playbooks/nope/preflight", map[string]any{}).wantError(t, 404, ClassNotFound)
	if list := ts.get("admin", "/api/v1/runs").want(t, 200).json(t)["runs"].([]any); len(list) != 0 {
		t.Errorf("a preflight recorded runs: %v", list)
	}
}

// TestConfirmThroughTheAPI: a run started with ask: true waits at its
// confirm: step; the question is listed; a viewer may not answer; a wrong
// step is 409; the starter's answer runs the step, and the report and the
// audit log say who answered. Without ask the step is denied as before.
func TestConfirmThroughTheAPI(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "asks.yaml", `version: 1
name: asks
steps:
  - {id: check, op: control.noop}
  - {id: restart, op: shell.exec, confirm: "Restart the workers?", with: {command: ["true"]}}
`)
	id := ts.post("operator", "/api/v1/playbooks/asks/runs", map[string]any{"ask": true}).want(t, 202).json(t)["run_id"].(string)
	var q map[string]any
	eventually(t, "the question", func() bool {
		qs := ts.get("operator", "/api/v1/runs/"+id+"/questions").want(t, 200).json(t)
		if list := qs["questions"].([]any); len(list) == 1 {
			q = list[0].(map[string]any)
			return qs["may_act"] == true
		}
		return false
	})
	if q["step"] != "restart" || q["question"] != "Restart the workers?" || q["run_id"] != id {
		t.Errorf("question %v", q)
	}
	if ts.get("viewer", "/api/v1/runs/"+id+"/questions").want(t, 200).json(t)["may_act"] != false {
		t.Error("a viewer may act on the operator's run")
	}
	ts.post("viewer", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "restart", "answer": "yes"}).wantError(t, 403, ClassAuthorization)
	ts.post("operator", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "check", "answer": "yes"}).wantError(t, 409, ClassConflict)
	ts.post("operator", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "restart", "answer": "maybe"}).wantError(t, 400, ClassValidation)
	ok := ts.post("other-admin", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "restart", "answer": "yes"}).want(t, 200).json(t)
	if ok["by"] != "other-admin" || ok["run_id"] != id {
		t.Errorf("answer: %v", ok)
	}
	h, _ := ts.mgr.Get(id)
	<-h.Done()
	rep := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200).json(t)
	st := rep["steps"].([]any)[1].(map[string]any)
	conf, _ := st["confirmation"].(map[string]any)
	if rep["status"] != "succeeded" || conf["by"] != "other-admin" || conf["answer"] != "yes" {
		t.Errorf("run %v, step %v", rep["status"], st)
	}
	audit, _ := os.ReadFile(ts.audit)
	if !strings.Contains(string(audit), `"who":"other-admin"`) || !strings.Contains(string(audit), `"action":"confirm"`) {
		t.Errorf("the audit log does not record the answer:\n%s", audit)
	}
	ts.post("operator", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "restart", "answer": "yes"}).wantError(t, 409, ClassConflict)

	denied := ts.post("operator", "/api/v1/playbooks/asks/runs?wait=30s", map[string]any{}).want(t, 200).json(t)
	st = denied["steps"].([]any)[1].(map[string]any)
	if st["status"] != "denied" {
		t.Errorf("without ask the confirm: step is %v", st["status"])
	}
	// Its error says what to do through the API, which has no --yes, and
	// with the remote client, not with run.
	msg, _ := st["error"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, `"ask": true`) || !strings.Contains(msg, "/confirm") || strings.Contains(msg, "run with --yes") ||
		!strings.Contains(msg, "remote run NAME --follow") ||
		!strings.Contains(st["reason"].(string), `"ask": true`) {
		t.Errorf("the denied confirm: step tells the API caller: %q (reason %q)", msg, st["reason"])
	}
	ts.get("operator", "/api/v1/runs/nope/questions").wantError(t, 404, ClassNotFound)
}

// TestSchedulesEndpoint: the scheduled playbooks with their next fires
// and pause state; pausing is for roles that may run the playbook, is
// idempotent, audited, and resumed the same way.
func TestSchedulesEndpoint(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Scheduling = func() bool { return true } })
	ts.addPlaybook(t, "backup.yaml", `version: 1
name: backup
description: Nightly backup
schedule: {cron: "30 2 * * *"}
steps:
  - {id: dump, op: shell.exec, with: {command: ["true"]}}
`)
	list := ts.get("viewer", "/api/v1/schedules").want(t, 200).json(t)
	if list["scheduler"] != true {
		t.Errorf("scheduler %v", list["scheduler"])
	}
	var names []string
	for _, s := range list["schedules"].([]any) {
		names = append(names, s.(map[string]any)["playbook"].(string))
	}
	if diff := cmp.Diff([]string{"backup", "nightly"}, names); diff != "" {
		t.Errorf("scheduled playbooks (-want +got):\n%s", diff)
	}
	backup := list["schedules"].([]any)[0].(map[string]any)
	next := backup["next"].([]any)
	if len(next) != 5 || backup["paused"] != nil || backup["schedule"].(map[string]any)["timezone"] != "UTC" {
		t.Errorf("backup: %v", backup)
	}
	first, _ := time.Parse(time.RFC3339, next[0].(string))
	if first.Hour() != 2 || first.Minute() != 30 || !first.After(time.Now()) {
		t.Errorf("next fire %v", first)
	}

	// Whether the caller may pause is said before it tries.
	if backup["may_act"] != false {
		t.Errorf("a viewer may pause backup: %v", backup["may_act"])
	}
	if op := ts.get("operator", "/api/v1/schedules").want(t, 200).json(t); op["schedules"].([]any)[0].(map[string]any)["may_act"] != true {
		t.Errorf("the operator may not pause backup: %v", op["schedules"].([]any)[0])
	}
	e := ts.post("viewer", "/api/v1/schedules/backup/pause", nil).wantError(t, 403, ClassAuthorization)
	// The rule says what governs a pause; the message says why it does not
	// hold for the viewer.
	if e["rule"] != "only a caller whose roles could have started a scheduled run of a playbook may pause its schedule" || !strings.Contains(e["message"].(string), "step dump: no rule of role viewer") {
		t.Errorf("403's rule and message: %v", e)
	}
	p := ts.post("operator", "/api/v1/schedules/backup/pause", nil).want(t, 200).json(t)
	if p["changed"] != true || p["paused"].(map[string]any)["by"] != "operator" {
		t.Errorf("pause: %v", p)
	}
	if p := ts.post("admin", "/api/v1/schedules/backup/pause", nil).want(t, 200).json(t); p["changed"] != false || p["paused"].(map[string]any)["by"] != "operator" {
		t.Errorf("pausing again: %v", p)
	}
	paused, _ := ts.mgr.Service().History().Pauses(t.Context())
	if paused["backup"].By != "operator" {
		t.Errorf("the history's pauses: %v", paused)
	}
	r := ts.post("admin", "/api/v1/schedules/backup/resume", nil).want(t, 200).json(t)
	if r["changed"] != true || r["paused"] != nil {
		t.Errorf("resume: %v", r)
	}
	ts.post("admin", "/api/v1/schedules/hello/pause", nil).wantError(t, 404, ClassNotFound)
	audit, _ := os.ReadFile(ts.audit)
	// The viewer's refused pause is audited as such; the pause that
	// changed nothing is not.
	if strings.Count(string(audit), `"outcome":"paused","duration_ms":0,"who":"operator","from":"127.0.0.1","action":"pause"`) != 1 ||
		strings.Count(string(audit), `"action":"pause"`) != 2 || !strings.Contains(string(audit), `"outcome":"denied","error":{"class":"authorization","message":"the roles of viewer may not run backup, so they may not pause its schedule: step dump: no rule of role viewer allows shell.exec (risk write)"},"duration_ms":0,"who":"viewer"`) ||
		!strings.Contains(string(audit), `"action":"resume"`) {
		t.Errorf("the audit log:\n%s", audit)
	}
}

// TestTimelineSVG: a run's timeline is an SVG image with one bar per
// step, under a policy that lets it load and run nothing.
func TestTimelineSVG(t *testing.T) {
	ts := newTestServer(t)
	id := ts.post("operator", "/api/v1/playbooks/paced/runs?wait=30s", map[string]any{}).want(t, 200).json(t)["run_id"].(string)
	r := ts.get("viewer", "/api/v1/runs/"+id+"/timeline.svg").want(t, 200)
	if ct := r.header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") || strings.Contains(csp, "script") {
		t.Errorf("CSP %q", csp)
	}
	svg := string(r.body)
	if n := strings.Count(svg, "data-step="); n != 5 {
		t.Errorf("%d bars, want one per step (5)", n)
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
	}
	ts.get("viewer", "/api/v1/runs/nope/timeline.svg").wantError(t, 404, ClassNotFound)
}

// TestOperationsSayWhatTheCallerMay: each listed operation carries the
// caller's verdict.
func TestOperationsSayWhatTheCallerMay(t *testing.T) {
	ts := newTestServer(t)
	verdict := func(key, op string) map[string]any {
		for _, o := range ts.get(key, "/api/v1/operations").want(t, 200).json(t)["operations"].([]any) {
			if m := o.(map[string]any); m["name"] == op {
				return m["decision"].(map[string]any)
			}
		}
		t.Fatalf("no %s", op)
		return nil
	}
	if d := verdict("viewer", "shell.exec"); d["allowed"] != false || d["rule"] == "" {
		t.Errorf("viewer, shell.exec: %v", d)
	}
	if d := verdict("viewer", "system.info"); d["allowed"] != true {
		t.Errorf("viewer, system.info: %v", d)
	}
	if d := verdict("admin", "process.kill"); d["allowed"] != true {
		t.Errorf("admin, process.kill: %v", d)
	}
}

// TestConsoleIsServedOutsideTheAPI: with a console, GET requests outside
// /api/ go to it; the API's unknown paths and other methods stay JSON
// errors.
func TestConsoleIsServedOutsideTheAPI(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		io.WriteString(w, "<p>console "+r.URL.Path+"</p>")
	})
	ts := newTestServer(t, func(c *Config) { c.Console = page })
	for _, path := range []string{"/", "/runs/abc", "/assets/app.js"} {
		r := ts.do(request{method: "GET", path: path}).want(t, 200)
		if string(r.body) != "<p>console "+path+"</p>" || r.header.Get("Content-Security-Policy") != "default-src 'self'" {
			t.Errorf("GET %s: %s %v", path, r.body, r.header)
		}
	}
	ts.do(request{method: "GET", path: "/api/v1/nope"}).wantError(t, 404, ClassNotFound)
	ts.do(request{method: "POST", path: "/runs/abc"}).wantError(t, 404, ClassNotFound)
	if r := ts.get("viewer", "/api/v1/playbooks").want(t, 200); r.header.Get("X-Frame-Options") != "DENY" || !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("API answers may be framed: %v", r.header)
	}
}
