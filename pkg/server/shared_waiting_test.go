package server

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestSharedQueueListSaysWhatRunsWaitFor: the runs waiting in the shared
// queue of --state URL are listed, as a single server's queued runs are,
// with waiting: what they wait for and how many runs are ahead of each.
// They used to be listed without it, so that nothing said why a run had
// not started or how far it was from starting.
func TestSharedQueueListSaysWhatRunsWaitFor(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), 10) // takes no job
	var ids []string
	for range 3 {
		r := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202)
		ids = append(ids, r.json(t)["run_id"].(string))
	}
	want := map[string]int{ids[0]: 0, ids[1]: 1, ids[2]: 2}
	if diff := cmp.Diff(want, listedAhead(t, ts, "/api/v1/runs?status=queued")); diff != "" {
		t.Errorf("runs ahead of each (-want +got):\n%s", diff)
	}
}

// listedAhead is how many runs are ahead of each run that the listing at
// path gives as waiting for a replica.
func listedAhead(t *testing.T, ts *testServer, path string) map[string]int {
	t.Helper()
	var list struct {
		Runs []struct {
			ID      string      `json:"id"`
			Waiting *runs.Place `json:"waiting"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(ts.get("operator", path).want(t, 200).body, &list); err != nil {
		t.Fatal(err)
	}
	ahead := map[string]int{}
	for _, r := range list.Runs {
		if r.Waiting == nil || r.Waiting.For != runs.WaitsForReplica || r.Waiting.Message == "" {
			t.Errorf("run %s waits with %+v, want for %q and a message", r.ID, r.Waiting, runs.WaitsForReplica)
			continue
		}
		ahead[r.ID] = r.Waiting.Ahead
	}
	return ahead
}

// TestSharedQueueAheadCountsEveryPlaybook: a listing of one playbook's
// waiting runs counts ahead of each the runs of every playbook queued
// before it, since a replica takes them in that order, and a page counts
// them as the whole listing does.
func TestSharedQueueAheadCountsEveryPlaybook(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), 10) // takes no job
	var ids []string
	for _, pb := range []string{"hello", "sleeper", "hello", "sleeper", "hello"} {
		r := ts.post("operator", "/api/v1/playbooks/"+pb+"/runs", map[string]any{}).want(t, 202)
		ids = append(ids, r.json(t)["run_id"].(string))
	}
	want := map[string]int{ids[1]: 1, ids[3]: 3}
	if diff := cmp.Diff(want, listedAhead(t, ts, "/api/v1/runs?playbook=sleeper")); diff != "" {
		t.Errorf("runs ahead of each sleeper run (-want +got):\n%s", diff)
	}
	want = map[string]int{ids[4]: 4, ids[3]: 3}
	if diff := cmp.Diff(want, listedAhead(t, ts, "/api/v1/runs?limit=2")); diff != "" {
		t.Errorf("runs ahead of each run of the first page (-want +got):\n%s", diff)
	}
}

// TestSharedQueueRunSaysWhatItWaitsFor: a run waiting in the shared queue
// says what it waits for, and behind how many runs, in the answer that
// queued it and in GET /api/v1/runs/{id}, as it does in the listing. Both
// used to say queued and nothing more.
func TestSharedQueueRunSaysWhatItWaitsFor(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), 10) // takes no job
	type answer struct {
		RunID   string      `json:"run_id"`
		Status  string      `json:"status"`
		Waiting *runs.Place `json:"waiting"`
	}
	for i := range 3 {
		var started answer
		if err := json.Unmarshal(ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).body, &started); err != nil {
			t.Fatal(err)
		}
		var got answer
		if err := json.Unmarshal(ts.get("operator", "/api/v1/runs/"+started.RunID).want(t, 200).body, &got); err != nil {
			t.Fatal(err)
		}
		for what, a := range map[string]answer{"the answer that queued it": started, "GET /api/v1/runs/{id}": got} {
			if a.Status != string(runs.StateQueued) || a.Waiting == nil || a.Waiting.For != runs.WaitsForReplica ||
				a.Waiting.Ahead != i || a.Waiting.Message == "" {
				t.Errorf("run %d: %s says %s, waiting %+v; want queued, waiting for %q behind %d runs, with a message",
					i, what, a.Status, a.Waiting, runs.WaitsForReplica, i)
			}
		}
	}
}

// TestSharedQueueListOfManyWaitingRuns: a page of a thousand runs from a
// shared queue that holds ten thousand is listed within the bound of a
// read of the store. Counting the runs ahead of each run of the page one
// by one, over every waiting run, took seconds: the list answered 503,
// the database unreachable, to the on-call person who needed it most.
func TestSharedQueueListOfManyWaitingRuns(t *testing.T) {
	c := startCluster(t)
	ts, pg := newQueueServer(t, c, c.NewDatabase(t), 10) // takes no job
	first := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	const n = 10000
	// The same run's job again and again, a millisecond apart, each a run
	// of its own.
	ctx := context.Background()
	if _, err := pg.Pool().Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, priority, scheduled_at, created_at)
		SELECT jsonb_set(j.args, '{run_id}', to_jsonb(j.args->>'run_id' || '-' || g)), j.kind, 1, j.queue, 'available', j.priority,
			j.scheduled_at + g * interval '1 ms', j.created_at + g * interval '1 ms'
		FROM river_job j, generate_series(1, $1::int) g`, n-1); err != nil {
		t.Fatal(err)
	}
	ahead := listedAhead(t, ts, "/api/v1/runs?limit=1000")
	if len(ahead) != 1000 || ahead[fmt.Sprintf("%s-%d", first, n-1)] != n-1 || ahead[fmt.Sprintf("%s-%d", first, n-1000)] != n-1000 {
		t.Errorf("the first page lists %d runs waiting for a replica, the newest behind %d, the oldest behind %d; want 1000, behind %d and %d",
			len(ahead), ahead[fmt.Sprintf("%s-%d", first, n-1)], ahead[fmt.Sprintf("%s-%d", first, n-1000)], n-1, n-1000)
	}
}
