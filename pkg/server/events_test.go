package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// sseEvent is one event as a client reads it off the wire.
type sseEvent struct {
	id    string
	event string
	data  map[string]any
}

// sseStream reads an event stream.
type sseStream struct {
	res *http.Response
	sc  *bufio.Scanner
}

func (ts *testServer) subscribe(t *testing.T, ctx context.Context, id string, lastEventID string) *sseStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", ts.url+"/api/v1/runs/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.keys["viewer"])
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		res.Body.Close()
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { res.Body.Close() })
	return &sseStream{res: res, sc: bufio.NewScanner(res.Body)}
}

// next reads the next event; ok is false at the end of the stream.
func (s *sseStream) next(t *testing.T) (sseEvent, bool) {
	t.Helper()
	var ev sseEvent
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case line == "":
			if ev.event != "" {
				return ev, true
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data); err != nil {
				t.Fatalf("data is not JSON: %v: %s", err, line)
			}
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	return ev, false
}

// rest reads to the end of the stream.
func (s *sseStream) rest(t *testing.T) []sseEvent {
	t.Helper()
	var out []sseEvent
	for {
		ev, ok := s.next(t)
		if !ok {
			return out
		}
		out = append(out, ev)
	}
}

// A client that connects mid-run gets the replay, then the live events,
// then the end after run_finished; ids are the sequence numbers and event
// names the kinds.
func TestEventsMidRun(t *testing.T) {
	ts := newTestServer(t)
	id := ts.post("operator", "/api/v1/playbooks/paced/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(id)
	waitEvent(t, h, "step_started", "wait_a")
	replayed := h.Events().Last()
	if h.State() == "ended" {
		t.Fatal("the run ended before the client connected")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := ts.subscribe(t, ctx, id, "").rest(t)
	var got []string
	for i, ev := range events {
		if ev.id != strconv.Itoa(i+1) || ev.data["seq"] != float64(i+1) {
			t.Errorf("event %d has id %q, seq %v", i, ev.id, ev.data["seq"])
		}
		if ev.event != ev.data["kind"] {
			t.Errorf("event %q carries kind %v", ev.event, ev.data["kind"])
		}
		got = append(got, ev.event+":"+stringOf(ev.data["step"]))
	}
	want := []string{"run_started:",
		"step_started:one", "step_finished:one", "step_started:wait_a", "step_finished:wait_a",
		"step_started:two", "step_finished:two", "step_started:wait_b", "step_finished:wait_b",
		"step_started:three", "step_finished:three", "run_finished:"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if uint64(len(events)) <= replayed {
		t.Errorf("no live events after the %d replayed", replayed)
	}
	last := events[len(events)-1].data
	if rep, ok := last["report"].(map[string]any); !ok || rep["status"] != "succeeded" {
		t.Errorf("run_finished without the report: %v", last)
	}
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// Last-Event-ID resumes after that event.
func TestEventsResume(t *testing.T) {
	ts := newTestServer(t)
	rep := ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200).json(t)
	id := rep["run_id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := ts.subscribe(t, ctx, id, "").rest(t)
	if len(all) < 4 {
		t.Fatalf("%d events", len(all))
	}
	resumed := ts.subscribe(t, ctx, id, "2").rest(t)
	if diff := cmp.Diff(all[2:], resumed, cmp.AllowUnexported(sseEvent{})); diff != "" {
		t.Errorf("resumed after 2 (-want +got):\n%s", diff)
	}
	r := ts.do(request{method: "GET", path: "/api/v1/runs/" + id + "/events", key: "viewer", header: map[string]string{"Last-Event-ID": "two"}})
	if e := r.wantError(t, 400, ClassValidation); e["field"] != "Last-Event-ID" {
		t.Errorf("field %v", e["field"])
	}
	ts.get("viewer", "/api/v1/runs/no-such-run/events").wantError(t, 404, ClassNotFound)
}

// A stream lasts longer than the server's write timeout, and Shutdown ends
// it at once.
func TestEventsOutliveWriteTimeoutAndEndOnShutdown(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Limits.WriteTimeout = 300 * time.Millisecond
		c.Limits.ReadTimeout = 300 * time.Millisecond
	})
	id := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := ts.subscribe(t, ctx, id, "")
	var seen []string
	for len(seen) < 4 {
		ev, ok := s.next(t)
		if !ok {
			t.Fatalf("the stream ended early after %v", seen)
		}
		seen = append(seen, ev.event)
	}
	time.Sleep(time.Second) // past both timeouts
	h, _ := ts.mgr.Get(id)
	h.Cancel(nil)
	rest := s.rest(t)
	if len(rest) == 0 || rest[len(rest)-1].event != "run_finished" {
		t.Fatalf("after the timeouts the stream did not reach run_finished: %v", rest)
	}

	id2 := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	s2 := ts.subscribe(t, ctx, id2, "")
	s2.next(t)
	done := make(chan struct{})
	go func() {
		s2.rest(t)
		close(done)
	}()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := ts.srv.Shutdown(sctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not end the stream")
	}
}

// A run that ended before this process knew it (a restart since; here,
// one the manager no longer keeps) streams its report as events: the
// usual grammar, numbered from 1. A Last-Event-ID below their end gets
// the whole told stream again: it may be an id of the run's live stream,
// which numbered other events.
func TestEventsOfARunFromTheHistory(t *testing.T) {
	ts := newTestServer(t)
	rep := ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200).json(t)
	id := rep["run_id"].(string)
	// Push it out of the manager's memory of ended runs.
	path := filepath.Join(ts.pbDir, "hello.yaml")
	for i := 0; i < 260; i++ {
		h, err := ts.mgr.Start(context.Background(), runs.Request{Path: path, Caller: runs.Caller{Roles: []string{"operator"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, live := ts.mgr.Get(id); live {
		t.Fatal("the manager still keeps the first run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := ts.subscribe(t, ctx, id, "").rest(t)
	var got []string
	for i, ev := range all {
		if ev.id != strconv.Itoa(i+1) {
			t.Errorf("event %d (%s) has id %q", i, ev.event, ev.id)
		}
		got = append(got, ev.event)
	}
	want := []string{"run_started", "step_started", "step_finished", "run_finished"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	if all[2].data["status"] != "succeeded" || all[3].data["report"] == nil {
		t.Errorf("step_finished %v; run_finished %v", all[2].data, all[3].data)
	}
	resumed := ts.subscribe(t, ctx, id, "2").rest(t)
	if diff := cmp.Diff(all, resumed, cmp.AllowUnexported(sseEvent{})); diff != "" {
		t.Errorf("resumed after 2 (-want +got):\n%s", diff)
	}
}

// TestEventsEndWhenTheCallerNoLongerHolds: an open event stream ends
// within a few seconds once its session is signed out, or once the key
// it was opened with leaves the keys file, though the run goes on.
func TestEventsEndWhenTheCallerNoLongerHolds(t *testing.T) {
	ts := newTestServer(t)
	id := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	open := func(header map[string]string) *sseStream {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", ts.url+"/api/v1/runs/"+id+"/events", nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		if res.StatusCode != 200 {
			t.Fatalf("events: %d", res.StatusCode)
		}
		s := &sseStream{res: res, sc: bufio.NewScanner(res.Body)}
		if ev, ok := s.next(t); !ok || ev.event != "run_started" {
			t.Fatalf("the stream begins with %v", ev)
		}
		return s
	}
	// ends reads the stream until it ends, failing if that takes longer
	// than a few re-checks.
	ends := func(what string, s *sseStream) {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for s.sc.Scan() {
			}
		}()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			s.res.Body.Close()
			<-done
			t.Errorf("the stream went on after %s", what)
		}
	}

	sess := ts.signIn(t, "viewer")
	bySession := open(map[string]string{"Cookie": sess.cookie})
	byKey := open(map[string]string{"Authorization": "Bearer " + ts.keys["operator"]})
	ts.as(sess, "DELETE", "/api/v1/session", nil, true).want(t, 200)
	ends("the sign-out", bySession)

	st := ts.srv.current().State
	keys := *st.Keys
	keys.keys = slices.DeleteFunc(slices.Clone(keys.keys), func(a apiKey) bool { return a.name == "operator" })
	keys.index()
	st.Keys = &keys
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	ends("its key left the keys file", byKey)
	if h, ok := ts.mgr.Get(id); !ok || h.Status() != "running" {
		t.Errorf("the run stopped with its streams")
	}
}
