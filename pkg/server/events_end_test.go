package server

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestEventsPastTheEndGetRunFinished: a client whose Last-Event-ID is at
// or past the last event of a run this process holds still learns that
// the run ended: of a run that has ended, it gets the run's run_finished,
// with its id, at once; of a run still going, it gets it when the run
// ends, though its id is below the client's.
func TestEventsPastTheEndGetRunFinished(t *testing.T) {
	ts := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	id := ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200).json(t)["run_id"].(string)
	all := ts.subscribe(t, ctx, id, "").rest(t)
	fin := all[len(all)-1]
	if fin.event != "run_finished" {
		t.Fatalf("the full stream ends with %s", fin.event)
	}
	for _, last := range []string{fin.id, "999999"} {
		got := ts.subscribe(t, ctx, id, last).rest(t)
		if len(got) != 1 || got[0].event != "run_finished" || got[0].id != fin.id || got[0].data["status"] != "succeeded" {
			t.Errorf("ended run, Last-Event-ID %s: %v, want its run_finished with id %s", last, got, fin.id)
		}
	}

	// An id no event can have is refused, not wrapped round to 0.
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+"/api/v1/runs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+ts.keys["viewer"])
	req.Header.Set("Last-Event-ID", "18446744073709551615")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 400 {
		t.Errorf("Last-Event-ID 2^64-1: %v %v, want 400", res, err)
	} else {
		res.Body.Close()
	}

	live := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(live)
	waitEvent(t, h, "step_started", "nap")
	got := make(chan []sseEvent, 1)
	go func() { got <- ts.subscribe(t, ctx, live, "100").rest(t) }()
	eventually(t, "the stream to open", func() bool {
		ts.srv.encoded.mu.Lock()
		defer ts.srv.encoded.mu.Unlock()
		return len(ts.srv.encoded.runs) > 0
	})
	h.Cancel(nil)
	var events []sseEvent
	select {
	case events = <-got:
	case <-ctx.Done():
		t.Fatal("the stream of the live run did not end")
	}
	last := strconv.FormatUint(h.Events().Last(), 10)
	if len(events) != 1 || events[0].event != "run_finished" || events[0].id != last || events[0].data["status"] != "cancelled" {
		t.Errorf("live run, Last-Event-ID 100: %v, want its run_finished with id %s", events, last)
	}
}
