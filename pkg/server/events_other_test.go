package server

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// gatedPlaybook runs step one until the file gate1 exists, then fails
// step two once gate2 does.
const gatedPlaybook = `version: 1
name: gated
inputs:
  gate1: {type: string, required: true}
  gate2: {type: string, required: true}
steps:
  - {id: one, op: shell.exec, with: {command: [sh, -c, 'while [ ! -e "$1" ]; do sleep 0.02; done', sh, "${{ inputs.gate1 }}"]}}
  - {id: two, op: shell.exec, with: {command: [sh, -c, 'while [ ! -e "$1" ]; do sleep 0.02; done; exit 3', sh, "${{ inputs.gate2 }}"]}}
`

// otherProcess starts the gated playbook in a run service of its own on
// the server's state dir, as arsenal-run run does in another process: the
// server knows the run from the history only. It returns the run's id and
// the two gates.
func otherProcess(t *testing.T, ts *testServer) (id, gate1, gate2 string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "gated.yaml")
	if err := os.WriteFile(path, []byte(gatedPlaybook), 0o644); err != nil {
		t.Fatal(err)
	}
	gate1, gate2 = filepath.Join(dir, "gate1"), filepath.Join(dir, "gate2")
	svc, err := runs.NewService(runs.Config{Registry: ts.mgr.Service().Registry(), StateDir: ts.state, Env: runs.MapEnv{"PATH": os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: 1})
	h, err := mgr.Start(context.Background(), runs.Request{Path: path, Caller: runs.Caller{Roles: []string{"admin"}},
		Inputs: map[string]any{"gate1": gate1, "gate2": gate2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.WriteFile(gate1, nil, 0o644)
		os.WriteFile(gate2, nil, 0o644)
		h.Wait(context.Background())
		mgr.Shutdown(context.Background())
		svc.Close()
	})
	if _, held := ts.mgr.Get(h.ID()); held {
		t.Fatal("the server holds the other process's run")
	}
	eventually(t, "the run in the history", func() bool {
		r := ts.get("viewer", "/api/v1/runs/"+h.ID())
		return r.status == 200 && r.json(t)["status"] == "running"
	})
	return h.ID(), gate1, gate2
}

// TestEventsOfARunOfAnotherProcess: the stream of a run that another
// process on the same state dir runs does not end while the run goes on
// with a run_finished saying running: it tells each step as the history
// records it, and ends with the run_finished of the run's real end, its
// report and its time. A client that resumes with Last-Event-ID goes on
// after it, the told events being numbered alike for every client.
func TestEventsOfARunOfAnotherProcess(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Limits.historyPoll = 50 * time.Millisecond })
	id, gate1, gate2 := otherProcess(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	first := ts.subscribe(t, ctx, id, "")
	var got []sseEvent
	read := func(s *sseStream, until string) []sseEvent {
		t.Helper()
		var evs []sseEvent
		for {
			ev, ok := s.next(t)
			if !ok {
				t.Fatalf("the stream ended after %v", kindsOf(evs))
			}
			evs = append(evs, ev)
			if ev.event == until {
				return evs
			}
		}
	}
	got = append(got, read(first, "run_started")...)
	if got[0].data["playbook"] != "gated" || got[0].id != "1" {
		t.Errorf("run_started: id %s, %v", got[0].id, got[0].data)
	}
	if err := os.WriteFile(gate1, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Step one ends while the run goes on: the stream tells it.
	got = append(got, read(first, "step_finished")...)
	if kinds := kindsOf(got); !slices.Equal(kinds, []string{"run_started", "step_started", "step_finished"}) {
		t.Fatalf("while step two runs, the stream has %v", kinds)
	}
	if got[2].data["step"] != "one" || got[2].data["status"] != "succeeded" {
		t.Errorf("step one's step_finished: %v", got[2].data)
	}

	resumed := ts.subscribe(t, ctx, id, "3")
	if err := os.WriteFile(gate2, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got = append(got, first.rest(t)...)
	want := []string{"run_started", "step_started", "step_finished", "step_started", "step_finished", "run_finished"}
	if kinds := kindsOf(got); !slices.Equal(kinds, want) {
		t.Fatalf("the stream: %v, want %v", kinds, want)
	}
	for i, ev := range got {
		if ev.id != strconv.Itoa(i+1) {
			t.Errorf("event %d (%s) has id %q", i, ev.event, ev.id)
		}
	}
	fin := got[5].data
	rep, _ := fin["report"].(map[string]any)
	if fin["status"] != "failed" || rep == nil || rep["status"] != "failed" || fin["time"] == "0001-01-01T00:00:00Z" {
		t.Errorf("run_finished: status %v, time %v, report status %v", fin["status"], fin["time"], rep["status"])
	}
	if got[4].data["step"] != "two" || got[4].data["status"] != "failed" {
		t.Errorf("step two's step_finished: %v", got[4].data)
	}

	rest := resumed.rest(t)
	var ids []string
	for _, ev := range rest {
		ids = append(ids, ev.id+" "+ev.event)
	}
	if want := []string{"4 step_started", "5 step_finished", "6 run_finished"}; !slices.Equal(ids, want) {
		t.Errorf("resumed after 3: %v, want %v", ids, want)
	}
}

func kindsOf(evs []sseEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.event)
	}
	return out
}
