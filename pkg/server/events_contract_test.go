package server

import (
	"bufio"
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// queueOne fills the test server's four run slots with sleepers and
// starts one more, which waits in the queue; it returns the queued run.
func queueOne(t *testing.T, ts *testServer) *runs.Handle {
	t.Helper()
	for range 4 {
		id := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
		h, _ := ts.mgr.Get(id)
		waitEvent(t, h, "step_started", "nap")
	}
	id := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(id)
	if h.State() != runs.StateQueued {
		t.Fatalf("the fifth run is %s, not queued", h.State())
	}
	return h
}

// TestEventsOfAQueuedRunAnswerAtOnce: the event stream of a run that
// waits in the queue, and so has no event to send, answers 200 with its
// headers at once, not with its first event or keep-alive: a client
// with a response-header timeout (as a proxy or a browser's EventSource
// has one) does not take it for a hung request. The stream stays open
// and ends with the run's end.
func TestEventsOfAQueuedRunAnswerAtOnce(t *testing.T) {
	ts := newTestServer(t)
	h := queueOne(t, ts)

	// Well under the first keep-alive (heartbeat), well over what the
	// headers take.
	client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 5 * time.Second}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", ts.url+"/api/v1/runs/"+h.ID()+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.keys["viewer"])
	req.Header.Set("Accept", "text/event-stream")
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("the stream of a queued run sent no headers: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if h.State() != runs.StateQueued {
		t.Fatalf("the run left the queue (%s) before the headers came", h.State())
	}
	h.Cancel(nil)
	got := (&sseStream{res: res, sc: bufio.NewScanner(res.Body)}).rest(t)
	if len(got) == 0 || got[len(got)-1].event != "run_finished" {
		t.Errorf("the stream of the queued run ended with %v, want its run_finished", got)
	}
}

// TestQueuedRunReportStartedAt: a queued run's report says when it was
// queued as its started_at, the time the run list gives it, not the zero
// time; it has no finished_at.
func TestQueuedRunReportStartedAt(t *testing.T) {
	ts := newTestServer(t)
	h := queueOne(t, ts)
	rep := ts.get("viewer", "/api/v1/runs/"+h.ID()).want(t, 200).json(t)
	if rep["status"] != "queued" {
		t.Fatalf("status %v, want queued", rep["status"])
	}
	if _, ok := rep["finished_at"]; ok {
		t.Errorf("a queued run has finished_at %v", rep["finished_at"])
	}
	list := ts.get("viewer", "/api/v1/runs?status=queued").want(t, 200).json(t)["runs"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d queued runs listed, want 1: %v", len(list), list)
	}
	listed := list[0].(map[string]any)
	if listed["id"] != h.ID() || rep["started_at"] != listed["started_at"] {
		t.Errorf("the report's started_at is %v, the list's %v (run %v)", rep["started_at"], listed["started_at"], listed["id"])
	}
	if at, _ := time.Parse(time.RFC3339Nano, stringOf(rep["started_at"])); at.IsZero() {
		t.Errorf("started_at %v", rep["started_at"])
	}
}

// The playbook whose live stream numbers more events than its report
// tells: log events between its steps, then a failing step.
const lossyPlaybook = `version: 1
name: lossy
steps:
  - {id: one, op: control.log, with: {message: one}}
  - {id: two, op: control.log, with: {message: two}}
  - {id: three, op: control.log, with: {message: three}}
  - {id: boom, op: control.fail, with: {message: boom}}
`

// TestEventsRebuiltAfterALiveIDLoseNoStep: a run this process no longer
// holds (a restart since) is told from its report, numbered from 1,
// which are not the ids of its live stream. A client resuming with a live
// id below the told stream's end gets the whole told stream, from id 1,
// so that it misses no step (here the failed one), though it sees some
// again; a client whose id is at or past the end still gets the one
// run_finished numbered after it.
func TestEventsRebuiltAfterALiveIDLoseNoStep(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "lossy.yaml", lossyPlaybook)
	id := ts.post("operator", "/api/v1/playbooks/lossy/runs?wait=30s", map[string]any{}).want(t, 200).json(t)["run_id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	live := ts.subscribe(t, ctx, id, "").rest(t)
	// The client saw the live stream up to the log of step three.
	i := slices.IndexFunc(live, func(ev sseEvent) bool { return ev.event == "log" && ev.data["step"] == "three" })
	if i < 0 {
		t.Fatalf("no log event of step three in %v", live)
	}
	seen := live[i].id

	path := filepath.Join(ts.pbDir, "hello.yaml")
	for range 260 { // pushes the run out of the manager's memory of ended runs
		h, err := ts.mgr.Start(context.Background(), runs.Request{Path: path, Caller: runs.Caller{Roles: []string{"operator"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, held := ts.mgr.Get(id); held {
		t.Fatal("the manager still keeps the run")
	}
	told := ts.subscribe(t, ctx, id, "").rest(t)
	if len(told) == 0 || told[0].id != "1" || told[len(told)-1].event != "run_finished" {
		t.Fatalf("the told stream: %v", told)
	}
	resumed := ts.subscribe(t, ctx, id, seen).rest(t)
	if diff := cmp.Diff(told, resumed, cmp.AllowUnexported(sseEvent{})); diff != "" {
		t.Errorf("resumed after the live id %s (-want the whole told stream +got):\n%s", seen, diff)
	}
	var got []string
	for _, ev := range resumed {
		if ev.data["step"] == "boom" {
			got = append(got, ev.event+":"+stringOf(ev.data["status"]))
		}
	}
	if diff := cmp.Diff([]string{"step_started:", "step_finished:failed"}, got); diff != "" {
		t.Errorf("the failed step's events after Last-Event-ID %s (-want +got):\n%s", seen, diff)
	}

	// At or past the told end: one run_finished, after what it saw.
	last := told[len(told)-1].id
	past := ts.subscribe(t, ctx, id, last).rest(t)
	if n, _ := strconv.Atoi(last); len(past) != 1 || past[0].event != "run_finished" || past[0].id != strconv.Itoa(n+1) {
		t.Errorf("Last-Event-ID %s at the told end: %v, want one run_finished numbered after it", last, past)
	}
}
