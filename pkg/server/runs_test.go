package server

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

func TestPlaybooks(t *testing.T) {
	ts := newTestServer(t)
	list := ts.get("viewer", "/api/v1/playbooks").want(t, 200).json(t)["playbooks"].([]any)
	var names []string
	for _, p := range list {
		names = append(names, p.(map[string]any)["name"].(string))
	}
	if diff := cmp.Diff([]string{"hello", "nightly", "paced", "shell", "sleeper"}, names); diff != "" {
		t.Errorf("playbooks (-want +got):\n%s", diff)
	}
	// A misspelt name gets the one it likely meant; among the scheduled
	// ones when a schedule is asked for.
	for path, want := range map[string]string{
		"/api/v1/playbooks/helo":             `no playbook "helo" in the server's playbooks (did you mean "hello"?)`,
		"/api/v1/playbooks/xyzzy":            `no playbook "xyzzy" in the server's playbooks; the playbooks are hello, nightly, paced, shell, sleeper`,
		"/api/v1/schedules/nighty/pause":     `no scheduled playbook "nighty" in the server's playbooks (did you mean "nightly"?)`,
		"/api/v1/schedules/hello/pause":      `playbook "hello" has no schedule to pause or resume (a playbook has one with schedule:, docs/scheduling.md); the scheduled playbooks are nightly`,
		"/api/v1/playbooks/sleper/preflight": `(did you mean "sleeper"?)`,
	} {
		var r *resp
		if strings.HasSuffix(path, "/pause") || strings.HasSuffix(path, "/preflight") {
			r = ts.post("admin", path, map[string]any{})
		} else {
			r = ts.get("viewer", path)
		}
		if msg, _ := r.wantError(t, 404, ClassNotFound)["message"].(string); !strings.HasSuffix(msg, want) && !(strings.HasPrefix(want, "(") && strings.Contains(msg, want)) {
			t.Errorf("%s: %q, want %q", path, msg, want)
		}
	}
	hello := ts.get("viewer", "/api/v1/playbooks/hello").want(t, 200).json(t)
	want := []any{
		map[string]any{"name": "who", "type": "string", "required": false, "default": "world"},
		map[string]any{"name": "times", "type": "integer", "required": false, "default": 1.0},
		map[string]any{"name": "token", "type": "string", "required": false, "secret": true},
	}
	if diff := cmp.Diff(want, hello["inputs"]); diff != "" {
		t.Errorf("inputs (-want +got); a secret's default must not show:\n%s", diff)
	}
	if hello["schedule"] != nil || hello["next_run"] != nil {
		t.Errorf("hello has a schedule: %v", hello)
	}
	nightly := ts.get("viewer", "/api/v1/playbooks/nightly").want(t, 200).json(t)
	sched := nightly["schedule"].(map[string]any)
	if sched["cron"] != "0 3 * * *" || sched["timezone"] != "Europe/Berlin" {
		t.Errorf("schedule %v", sched)
	}
	next, err := time.Parse(time.RFC3339, nightly["next_run"].(string))
	if err != nil || !next.After(time.Now()) || next.In(mustZone(t, "Europe/Berlin")).Hour() != 3 {
		t.Errorf("next_run %v (%v)", nightly["next_run"], err)
	}
	ts.get("viewer", "/api/v1/playbooks/nope").wantError(t, 404, ClassNotFound)
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skip(err)
	}
	return loc
}

func TestStartRun(t *testing.T) {
	ts := newTestServer(t)
	rep := ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{"inputs": map[string]any{"who": "api", "times": 2}}).want(t, 200).json(t)
	if rep["status"] != "succeeded" || !cmp.Equal(rep["outputs"], map[string]any{"greeting": "hello api"}) {
		t.Errorf("report %v %v", rep["status"], rep["outputs"])
	}
	if inputs := rep["inputs"].(map[string]any); inputs["token"] != "***" {
		t.Errorf("the secret input is not masked in the report: %v", inputs)
	}

	started := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)
	id := started["run_id"].(string)
	wantLinks := map[string]any{"self": "/api/v1/runs/" + id, "events": "/api/v1/runs/" + id + "/events", "cancel": "/api/v1/runs/" + id + "/cancel"}
	if diff := cmp.Diff(wantLinks, started["links"]); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	if s := started["status"]; s != "queued" && s != "running" {
		t.Errorf("status %v", s)
	}
	// ?wait= that runs out is 202.
	ts.post("operator", "/api/v1/playbooks/sleeper/runs?wait=50ms", map[string]any{}).want(t, 202)

	// Inputs are checked like --input, naming the input.
	e := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{"inputs": map[string]any{"times": "many"}}).wantError(t, 400, ClassValidation)
	if e["field"] != "inputs.times" {
		t.Errorf("field %v: %v", e["field"], e["message"])
	}
	e = ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{"inputs": map[string]any{"whom": "x"}}).wantError(t, 400, ClassValidation)
	if e["field"] != "inputs.whom" || !strings.Contains(e["message"].(string), `did you mean "who"`) {
		t.Errorf("unknown input: %v", e)
	}
	ts.post("operator", "/api/v1/playbooks/hello/runs?wait=forever", map[string]any{}).wantError(t, 400, ClassValidation)
	ts.post("operator", "/api/v1/playbooks/nope/runs", map[string]any{}).wantError(t, 404, ClassNotFound)

	// Preflight: a denied run is 403 with the rule, and recorded.
	e = ts.post("viewer", "/api/v1/playbooks/shell/runs", map[string]any{}).wantError(t, 403, ClassAuthorization)
	if e["rule"] == nil || e["run_id"] == nil {
		t.Fatalf("403 without rule or run id: %v", e)
	}
	denied := ts.get("viewer", "/api/v1/runs/"+e["run_id"].(string)).want(t, 200).json(t)
	if denied["status"] != "failed" || denied["steps"].([]any)[0].(map[string]any)["status"] != "denied" {
		t.Errorf("the denied run's report: %v", denied)
	}
}

// A full queue answers 429 with Retry-After.
func TestRunQueueFull(t *testing.T) {
	ts := newTestServer(t)
	var ids []string
	// 4 running, 2 queued: each caller may hold half the places to wait.
	for _, key := range []string{"admin", "admin", "admin", "admin", "admin", "other-admin"} {
		ids = append(ids, ts.post(key, "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string))
	}
	r := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{})
	r.wantError(t, 429, ClassRateLimited)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	for _, id := range ids {
		ts.post("admin", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
	}
}

func TestRunReportWhileRunning(t *testing.T) {
	ts := newTestServer(t)
	id := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(id)
	waitEvent(t, h, "step_started", "nap")
	rep := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200).json(t)
	if rep["status"] != "running" {
		t.Errorf("status %v", rep["status"])
	}
	var steps []string
	for _, s := range rep["steps"].([]any) {
		m := s.(map[string]any)
		steps = append(steps, m["id"].(string)+":"+m["status"].(string))
	}
	if diff := cmp.Diff([]string{"first:succeeded", "nap:running"}, steps); diff != "" {
		t.Errorf("steps so far (-want +got):\n%s", diff)
	}
	ts.get("viewer", "/api/v1/runs/no-such-run").wantError(t, 404, ClassNotFound)

	// Cancel: the viewer did not start it and may not run it: 403; the
	// starter may: 202; again: 409.
	e := ts.post("viewer", "/api/v1/runs/"+id+"/cancel", nil).wantError(t, 403, ClassAuthorization)
	if e["rule"] == nil {
		t.Errorf("403 without rule: %v", e)
	}
	ts.post("operator", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
	<-h.Done()
	final := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200).json(t)
	if final["status"] != "cancelled" {
		t.Errorf("after cancel: %v", final["status"])
	}
	statuses := map[string]any{}
	for _, s := range final["steps"].([]any) {
		m := s.(map[string]any)
		statuses[m["id"].(string)] = m["status"]
	}
	if statuses["tidy"] != "succeeded" {
		t.Errorf("finally did not run: %v", statuses)
	}
	if e := ts.post("operator", "/api/v1/runs/"+id+"/cancel", nil).wantError(t, 409, ClassConflict); e["reason"] != "ended" || e["run_id"] != id {
		t.Errorf("cancel of an ended run: %v; want reason ended and its run_id", e)
	}
	ts.post("operator", "/api/v1/runs/no-such-run/cancel", nil).wantError(t, 404, ClassNotFound)
	// Another caller whose roles may run the playbook may cancel it.
	id2 := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	ts.post("other-admin", "/api/v1/runs/"+id2+"/cancel", nil).want(t, 202)
}

func waitEvent(t *testing.T, h *runs.Handle, kind, step string) {
	t.Helper()
	sub := h.Events().Subscribe(0)
	defer sub.Cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		ev, ok := sub.Next(ctx)
		if !ok {
			t.Fatalf("no %s of %s", kind, step)
		}
		if string(ev.Kind) == kind && ev.Step == step {
			return
		}
	}
}

func TestListRuns(t *testing.T) {
	ts := newTestServer(t)
	ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200)
	time.Sleep(5 * time.Millisecond) // distinct start times
	ts.post("operator", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200)
	time.Sleep(5 * time.Millisecond)
	live := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(live)
	waitEvent(t, h, "step_started", "nap")
	defer h.Cancel(nil)

	list := func(query string) []string {
		var out []string
		for _, r := range ts.get("viewer", "/api/v1/runs"+query).want(t, 200).json(t)["runs"].([]any) {
			m := r.(map[string]any)
			out = append(out, m["playbook"].(string)+":"+m["status"].(string))
		}
		return out
	}
	if diff := cmp.Diff([]string{"sleeper:running", "execute-control-noop:succeeded", "hello:succeeded"}, list("")); diff != "" {
		t.Errorf("all runs, newest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"hello:succeeded"}, list("?playbook=hello")); diff != "" {
		t.Errorf("?playbook=hello (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"sleeper:running"}, list("?status=running&trigger=api")); diff != "" {
		t.Errorf("?status=running (-want +got):\n%s", diff)
	}
	if got := list("?trigger=cli"); got != nil {
		t.Errorf("?trigger=cli: %v", got)
	}
	if got := list("?limit=1"); len(got) != 1 {
		t.Errorf("?limit=1: %v", got)
	}
	all := ts.get("viewer", "/api/v1/runs").json(t)["runs"].([]any)
	before := all[1].(map[string]any)["started_at"].(string)
	if diff := cmp.Diff([]string{"hello:succeeded"}, list("?before="+url.QueryEscape(before))); diff != "" {
		t.Errorf("?before= (-want +got):\n%s", diff)
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?before=yesterday", "?trigger=cron", "?sort=asc"} {
		ts.get("viewer", "/api/v1/runs"+q).wantError(t, 400, ClassValidation)
	}
}

// TestListRunsSaysWhichAreDryRuns: every run of the listing carries
// dry_run, true for dry runs: one of this process, finished or running,
// and one that another process on the same state dir runs (as
// `run --dry-run --state-dir` would), whose report is told from its
// history row.
func TestListRunsSaysWhichAreDryRuns(t *testing.T) {
	ts := newTestServer(t)
	ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{"dry_run": true}).want(t, 200)
	time.Sleep(5 * time.Millisecond) // distinct start times
	ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200)
	time.Sleep(5 * time.Millisecond)
	live := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{"dry_run": true}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(live)
	waitEvent(t, h, "step_started", "nap")
	defer h.Cancel(nil)

	other, err := history.Open(ts.state)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.RecordStart(context.Background(), history.Run{ID: "elsewhere", Playbook: "hello", StartedAt: time.Now(), DryRun: true}); err != nil {
		t.Fatal(err)
	}

	var got []string
	for _, r := range ts.get("viewer", "/api/v1/runs").want(t, 200).json(t)["runs"].([]any) {
		m := r.(map[string]any)
		got = append(got, fmt.Sprintf("%s:%s:%v", m["playbook"], m["status"], m["dry_run"]))
	}
	want := []string{"hello:running:true", "sleeper:running:true", "hello:succeeded:false", "hello:succeeded:true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("playbook:status:dry_run, newest first (-want +got):\n%s", diff)
	}
	rep := ts.get("viewer", "/api/v1/runs/elsewhere").want(t, 200).json(t)
	if rep["status"] != "running" || rep["dry_run"] != true {
		t.Errorf("report of another process's running dry run: status %v, dry_run %v; want running, true", rep["status"], rep["dry_run"])
	}
}

// TestActingOnAPlaybookHonoursHostScopes: a role confined to some hosts
// may not pause the schedule of a playbook that reaches others, as it may
// not start it: the check is the one a run gets, with serve's inventory.
func TestActingOnAPlaybookHonoursHostScopes(t *testing.T) {
	inv, err := inventory.Parse("fleet.yaml", []byte("version: 1\nhosts:\n  web-1: {address: 10.0.0.11}\n  db-2: {address: 10.0.0.22}\ngroups:\n  web: [web-1]\n  db: [db-2]\n"))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServerWith(t, func(c *runs.Config) { c.Remote.Inventory = inv })
	policy, err := auth.ParsePolicy(filepath.Join(t.TempDir(), "policy.yaml"), []byte(`version: 1
roles:
  webops: {max_risk: write, hosts: [web]}
  dba: {max_risk: write, hosts: [db]}
`), ts.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	ts.addPlaybook(t, "dbnightly.yaml", `version: 1
name: dbnightly
schedule: {cron: "0 3 * * *"}
steps:
  - {id: vacuum, op: ssh.exec, with: {host: db-2, command: [vacuumdb, --all]}}
`)
	webKey, wd, _ := NewKey()
	dbaKey, dd, _ := NewKey()
	keys, err := ParseKeys("k.yaml", []byte(fmt.Sprintf("version: 1\nkeys:\n  - {name: web, sha256: %s, roles: [webops]}\n  - {name: dba, sha256: %s, roles: [dba]}\n", wd, dd)))
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.current().State
	st.Keys, st.Policy = keys, policy
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	ts.do(request{method: "POST", path: "/api/v1/schedules/dbnightly/pause", rawKey: webKey}).wantError(t, 403, ClassAuthorization)
	ts.do(request{method: "POST", path: "/api/v1/schedules/dbnightly/pause", rawKey: dbaKey}).want(t, 200)
}
