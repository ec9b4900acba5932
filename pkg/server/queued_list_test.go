package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// listed is the ids and statuses of a GET /api/v1/runs answer, and its next.
func listed(t *testing.T, ts *testServer, query string) (ids []string, status map[string]string, next string) {
	t.Helper()
	body := ts.get("operator", "/api/v1/runs"+query).want(t, 200).json(t)
	status = map[string]string{}
	for _, r := range body["runs"].([]any) {
		run := r.(map[string]any)
		id := run["id"].(string)
		ids = append(ids, id)
		status[id] = run["status"].(string)
	}
	next, _ = body["next"].(string)
	return ids, status, next
}

// Runs waiting in the shared queue of --state URL are listed by every
// replica, with the listing's filters, order and cursor, and their report
// on any replica has their inputs, secrets masked, and their playbook.
func TestListRunsSharedQueue(t *testing.T) {
	c := startCluster(t)
	dsn := c.NewDatabase(t)
	a, pg := newQueueServer(t, c, dsn, 0)
	b, _ := newQueueServer(t, c, dsn, 0) // another replica on the same queue
	start := func(ts *testServer, playbook string, body map[string]any) string {
		t.Helper()
		id := ts.post("operator", "/api/v1/playbooks/"+playbook+"/runs", body).want(t, 202).json(t)["run_id"].(string)
		time.Sleep(5 * time.Millisecond) // one millisecond each, to check the order
		return id
	}
	first := start(a, "hello", map[string]any{"inputs": map[string]any{"who": "alice", "token": "t0p-s3cret-input"}})
	second := start(b, "paced", map[string]any{"dry_run": true})
	third := start(a, "hello", map[string]any{"inputs": map[string]any{"who": "bob"}})
	newestFirst := []string{third, second, first}

	for name, ts := range map[string]*testServer{"a": a, "b": b} {
		ids, status, _ := listed(t, ts, "")
		if fmt.Sprint(ids) != fmt.Sprint(newestFirst) {
			t.Errorf("replica %s lists %v, want the queued runs %v", name, ids, newestFirst)
		}
		for _, id := range ids {
			if status[id] != "queued" {
				t.Errorf("replica %s lists run %s as %q, want queued", name, id, status[id])
			}
		}
		for query, want := range map[string][]string{
			"?status=queued":                newestFirst,
			"?status=running":               nil,
			"?playbook=hello":               {third, first},
			"?trigger=api":                  newestFirst,
			"?trigger=schedule":             nil,
			"?playbook=paced&status=queued": {second},
		} {
			if ids, _, _ := listed(t, ts, query); fmt.Sprint(ids) != fmt.Sprint(want) {
				t.Errorf("replica %s, %s: lists %v, want %v", name, query, ids, want)
			}
		}
		// Paging by next lists each once.
		page, _, next := listed(t, ts, "?limit=2")
		if fmt.Sprint(page) != fmt.Sprint(newestFirst[:2]) || next == "" {
			t.Fatalf("replica %s, limit=2: %v next %q, want %v and a next", name, page, next, newestFirst[:2])
		}
		page, _, next = listed(t, ts, "?limit=2&before="+url.QueryEscape(next))
		if fmt.Sprint(page) != fmt.Sprint(newestFirst[2:]) || next != "" {
			t.Errorf("replica %s, the second page: %v next %q, want %v and no next", name, page, next, newestFirst[2:])
		}
		all := ts.get("operator", "/api/v1/runs").want(t, 200).json(t)["runs"].([]any)
		if dry := all[1].(map[string]any); dry["dry_run"] != true || dry["started_by"] == "" {
			t.Errorf("replica %s lists the dry run as %v", name, dry)
		}
	}

	// The report, on the replica that did not queue it.
	r := b.get("operator", "/api/v1/runs/"+first).want(t, 200)
	if strings.Contains(string(r.body), "t0p-s3cret-input") {
		t.Fatalf("the report of a queued run shows a secret input: %s", r.body)
	}
	rep := r.json(t)
	inputs, _ := rep["inputs"].(map[string]any)
	if rep["status"] != "queued" || inputs["who"] != "alice" || inputs["token"] != "***" {
		t.Errorf("the queued run's report: status %v, inputs %v; want queued, who alice and token ***", rep["status"], rep["inputs"])
	}
	if pb := rep["playbook"].(map[string]any); pb["name"] != "hello" || pb["path"] == "" || pb["sha256"] == "" {
		t.Errorf("the queued run's playbook: %v", pb)
	}
	if dry := a.get("operator", "/api/v1/runs/"+second).want(t, 200).json(t); dry["dry_run"] != true {
		t.Errorf("the queued dry run's report has dry_run %v", dry["dry_run"])
	}

	// A run that a replica took and that waits there for its concurrency
	// group is still listed queued, by every replica; once it started
	// (its history row), it is listed once, as it runs.
	ctx := context.Background()
	if _, err := pg.Pool().Exec(ctx, `UPDATE river_job SET state = 'running', attempted_at = now() WHERE args->>'run_id' = $1`, second); err != nil {
		t.Fatal(err)
	}
	if _, status, _ := listed(t, b, ""); status[second] != "queued" {
		t.Errorf("a run waiting for its group on a replica is listed as %q, want queued", status[second])
	}
	if err := pg.RecordStart(ctx, history.Run{ID: first, Playbook: "hello", Status: history.StatusRunning, StartedAt: time.Now(), Trigger: history.TriggerAPI}); err != nil {
		t.Fatal(err)
	}
	ids, status, _ := listed(t, b, "")
	n := 0
	for _, id := range ids {
		if id == first {
			n++
		}
	}
	if n != 1 || status[first] != "running" {
		t.Errorf("a run that started while its job is still in the queue: listed %d times, as %q; want once, running", n, status[first])
	}
}
