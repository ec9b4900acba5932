package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sseFrame is one event of a Server-Sent Events stream.
type sseFrame struct {
	id   uint64
	kind string
	data string
}

// openEvents opens a run's event stream on base, after lastID when it is
// not 0, and returns its events as they come; the channel is closed when
// the stream ends.
func openEvents(t *testing.T, base, key, id string, lastID uint64) <-chan sseFrame {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/runs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(lastID, 10))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		t.Fatalf("GET events: %s", res.Status)
	}
	out := make(chan sseFrame, 100)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		var f sseFrame
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if f.kind != "" {
					out <- f
				}
				f = sseFrame{}
			case strings.HasPrefix(line, "id: "):
				f.id, _ = strconv.ParseUint(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				f.kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				f.data = line[6:]
			}
		}
	}()
	return out
}

// untilEnd reads a stream until it ends, or fails the test after d.
func untilEnd(t *testing.T, events <-chan sseFrame, d time.Duration) []sseFrame {
	t.Helper()
	var got []sseFrame
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-events:
			if !ok {
				return got
			}
			got = append(got, f)
		case <-timeout:
			t.Fatalf("the stream did not end within %s; got %+v", d, got)
		}
	}
}

// TestStreamElsewhereEndsWhenTheRunningReplicaDies: a client follows a
// run through a replica other than the one running it; that one is
// killed. Once the run is marked interrupted, the open stream ends with a
// run_finished (status interrupted) numbered after every event it sent;
// a client that resumes with Last-Event-ID gets that end too, never an
// empty stream; and the run's job no longer counts as running.
func TestStreamElsewhereEndsWhenTheRunningReplicaDies(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	a, b := c.start(t), c.start(t)
	id := c.submit(t, a, "sleeper")
	runner, other := c.runnerOf(t, id, "prepare", a, b)
	events := openEvents(t, other.base, c.fix.admin, id, 0)
	var seen uint64
	timeout := time.After(20 * time.Second)
	for napping := false; !napping; {
		select {
		case f, ok := <-events:
			if !ok {
				t.Fatal("the stream ended before the run's nap")
			}
			seen = max(seen, f.id)
			napping = f.kind == "step_started" && strings.Contains(f.data, `"step":"nap"`)
		case <-timeout:
			t.Fatal("the other replica relayed no step_started of the nap")
		}
	}
	runner.p.cmd.Process.Signal(syscall.SIGKILL)
	<-runner.p.done
	rest := untilEnd(t, events, 6*haLease)
	if len(rest) == 0 || rest[len(rest)-1].kind != "run_finished" {
		t.Fatalf("the open stream ended without a run_finished: %+v", rest)
	}
	end := rest[len(rest)-1]
	var fin struct {
		RunID  string `json:"run_id"`
		Status string `json:"status"`
		Report *struct {
			Status string `json:"status"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(end.data), &fin); err != nil || fin.RunID != id || fin.Status != "interrupted" || fin.Report == nil || fin.Report.Status != "interrupted" {
		t.Errorf("the run_finished of the interrupted run: %s (%v)", end.data, err)
	}
	if end.id <= seen {
		t.Errorf("the run_finished is numbered %d, after %d already sent", end.id, seen)
	}

	// A client resuming after what it saw, and one resuming past the end.
	for _, after := range []uint64{seen, end.id} {
		got := untilEnd(t, openEvents(t, other.base, c.fix.admin, id, after), 20*time.Second)
		if len(got) == 0 || got[len(got)-1].kind != "run_finished" || !strings.Contains(got[len(got)-1].data, `"status":"interrupted"`) {
			t.Errorf("resumed after %d: %+v; want the run's end", after, got)
			continue
		}
		for _, f := range got {
			if f.id <= after {
				t.Errorf("resumed after %d: event %d (%s) goes back", after, f.id, f.kind)
			}
		}
	}
	// A new client gets the whole stream, ending likewise.
	got := untilEnd(t, openEvents(t, other.base, c.fix.admin, id, 0), 20*time.Second)
	if len(got) < 2 || got[0].kind != "run_started" || got[len(got)-1].kind != "run_finished" {
		t.Errorf("a new stream of the interrupted run: %+v", got)
	}

	// The job of the interrupted run ends: it counts as running no more.
	waitWithin(t, 6*haLease, "the interrupted run's job ended", func() bool {
		return c.count(t, `SELECT count(*) FROM river_job WHERE args->>'run_id' = $1 AND state = 'running'`, id) == 0
	})
	var h struct {
		QueueRunning *int `json:"queue_running"`
	}
	getJSON(t, other.base+"/healthz", &h)
	if h.QueueRunning == nil || *h.QueueRunning != 0 {
		t.Errorf("/healthz queue_running: %v, want 0", h.QueueRunning)
	}
	// The job runs no more: no reap retries it now.
	if n := c.count(t, `SELECT count(*) FROM runs WHERE playbook = 'sleeper'`); n != 1 {
		t.Errorf("%d runs of the playbook; an interrupted run must not run again without retry_on_node_loss", n)
	}
}
