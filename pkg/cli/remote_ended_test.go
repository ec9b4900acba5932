package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRemoteFollowEndsWhenTheRunAlreadyEnded: SIGTERM to 'remote run
// --follow' asks the server to cancel the run; when the server answers
// that the run already ended (409; its replica died, say, and the stream
// has not told it yet), the command stops waiting and exits with the
// run's own outcome: 1 for an interrupted run.
func TestRemoteFollowEndsWhenTheRunAlreadyEnded(t *testing.T) {
	const id = "20260101T000000-0123456789abcdef0123456789abcdef"
	open := newStreamOpen()
	now := time.Now().UTC()
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: report.Playbook{Name: "sleeper"},
		Roles: []string{"admin"}, Inputs: map[string]any{}, Status: "interrupted", StartedAt: now.Add(-time.Minute), FinishedAt: now,
		Steps: []report.Step{}, Outputs: map[string]any{},
		Error: &report.Error{Class: "system", Message: "the process running the run stopped"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/playbooks/sleeper", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"name":"sleeper","description":"","inputs":[],"schedule":null,"next_run":null}`)
	})
	mux.HandleFunc("POST /api/v1/playbooks/sleeper/runs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"run_id":%q,"status":"queued","links":{"self":"/api/v1/runs/%[1]s","events":"/api/v1/runs/%[1]s/events","cancel":"/api/v1/runs/%[1]s/cancel"}}`, id)
	})
	mux.HandleFunc("GET /api/v1/runs/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "id: 1\nevent: run_started\ndata: {\"seq\":1,\"kind\":\"run_started\",\"run_id\":%q,\"playbook\":\"sleeper\"}\n\n", id)
		w.(http.Flusher).Flush()
		open.opened()
		// A stream that never tells the end: only keep-alives.
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, `{"error":{"class":"conflict","message":"run %s already ended: interrupted","run_id":%[1]q,"reason":"ended"}}`, id)
	})
	mux.HandleFunc("GET /api/v1/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		json.NewEncoder(&b).Encode(rep)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b.Bytes())
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p := startEnv(t, []string{"ARSENAL_SERVER=" + srv.URL, "ARSENAL_API_KEY=ak_test"}, "run "+id, "remote", "run", "sleeper", "--follow")
	// The command follows the run, its signals watched, once it
	// opens the stream.
	open.wait(t)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitFailed {
		t.Errorf("exit code %d, want %d (the run was interrupted, not cancelled by the signal); stderr:\n%s", code, ExitFailed, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "already ended") {
		t.Errorf("stderr does not tell that the run already ended:\n%s", p.stderr.String())
	}
}

// TestRemoteFollowGoesOnWhenTheRunIsBeingCancelled: SIGTERM to 'remote
// run --follow' of a run that someone cancelled already is answered 409
// with reason being_cancelled. The run has not ended: the command goes on
// following it to its end, and exits as for a cancel of its own. It took
// the 409 for the run's end, printed the run as still running and
// exited 1.
func TestRemoteFollowGoesOnWhenTheRunIsBeingCancelled(t *testing.T) {
	cancelled := make(chan struct{})
	var once sync.Once
	open := newStreamOpen()
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "id: 1\nevent: run_started\ndata: {\"seq\":1,\"kind\":\"run_started\",\"run_id\":%q,\"playbook\":\"sleeper\"}\n\n", fakeRunID)
		w.(http.Flusher).Flush()
		open.opened()
		select {
		case <-r.Context().Done():
			return
		case <-cancelled:
		}
		// The run takes a while to stop, then ends cancelled.
		time.Sleep(500 * time.Millisecond)
		now := time.Now().UTC()
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: fakeRunID, Playbook: report.Playbook{Name: "sleeper"},
			Roles: []string{"admin"}, Inputs: map[string]any{}, Status: report.StatusCancelled, StartedAt: now.Add(-time.Minute), FinishedAt: now,
			Steps: []report.Step{}, Outputs: map[string]any{}, Error: &report.Error{Class: "cancelled", Message: "cancelled through the API by bob"}}
		data, _ := json.Marshal(map[string]any{"seq": 2, "kind": "run_finished", "run_id": fakeRunID, "playbook": "sleeper", "report": rep})
		fmt.Fprintf(w, "id: 2\nevent: run_finished\ndata: %s\n\n", data)
		w.(http.Flusher).Flush()
	})
	mux := srv.Config.Handler.(*http.ServeMux)
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(cancelled) })
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		// A message reworded: the reason is what counts.
		fmt.Fprintf(w, `{"error":{"class":"conflict","message":"bob stops run %s already","run_id":%[1]q,"reason":"being_cancelled"}}`, fakeRunID)
	})
	mux.HandleFunc("GET /api/v1/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"report_version":%q,"run_id":%q,"playbook":{"name":"sleeper"},"roles":["admin"],"inputs":{},"status":"running","started_at":%q,"steps":[],"outputs":{}}`,
			report.FormatVersion, fakeRunID, time.Now().UTC().Format(time.RFC3339))
	})

	p := startEnv(t, []string{"ARSENAL_SERVER=" + srv.URL, "ARSENAL_API_KEY=ak_test"}, "run "+fakeRunID, "remote", "run", "sleeper", "--follow")
	// The command follows the run, its signals watched, once it
	// opens the stream.
	open.wait(t)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 143 {
		t.Errorf("exit code %d, want 143 (the run ended cancelled, as the signal asked); stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "run "+fakeRunID+" is being cancelled already") || strings.Contains(p.stderr.String(), "409") {
		t.Errorf("stderr does not say plainly that the run is being cancelled already:\n%s", p.stderr.String())
	}
}

// TestRemoteFollowGoesOnWhenTheRunIsElsewhere: SIGTERM to 'remote run
// --follow' of a run that another arsenal-run process holds is answered
// 409 without reason ended: the run goes on, so the command says why it
// was not cancelled and follows it to its end, exiting with the run's
// own code. It took any 409 for the run's end, fetched a report that
// said running and exited 1.
func TestRemoteFollowGoesOnWhenTheRunIsElsewhere(t *testing.T) {
	refused := make(chan struct{})
	var once sync.Once
	open := newStreamOpen()
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		writeEvent(t, w, 1, "run_started")
		open.opened()
		select {
		case <-r.Context().Done():
			return
		case <-refused:
		}
		time.Sleep(500 * time.Millisecond) // the run goes on a while
		writeEvent(t, w, 2, "run_finished")
	})
	mux := srv.Config.Handler.(*http.ServeMux)
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		defer once.Do(func() { close(refused) })
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, `{"error":{"class":"conflict","message":"run %s runs in another arsenal-run process; cancel it there"}}`, fakeRunID)
	})
	mux.HandleFunc("GET /api/v1/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"report_version":%q,"run_id":%q,"playbook":{"name":"sleeper"},"roles":["admin"],"inputs":{},"status":"running","started_at":%q,"steps":[],"outputs":{}}`,
			report.FormatVersion, fakeRunID, time.Now().UTC().Format(time.RFC3339))
	})

	p := startEnv(t, []string{"ARSENAL_SERVER=" + srv.URL, "ARSENAL_API_KEY=ak_test"}, "run "+fakeRunID, "remote", "run", "sleeper", "--follow")
	// The command follows the run, its signals watched, once it
	// opens the stream.
	open.wait(t)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitOK {
		t.Errorf("exit code %d, want 0 (the run went on and succeeded); stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "runs in another arsenal-run process") || !strings.Contains(p.stderr.String(), "was not cancelled: following it to its end") {
		t.Errorf("stderr does not say why the run was not cancelled:\n%s", p.stderr.String())
	}
}

// TestRemoteFollowFirstSignalExits130: the stream may tell that the run
// ended cancelled before the server answers the cancel that SIGINT asked
// for; 'remote run --follow' exits 130 all the same, as run does. It
// took the cancelled run for one cancelled by someone else and exited 1.
func TestRemoteFollowFirstSignalExits130(t *testing.T) {
	asked, streamGone := make(chan struct{}), make(chan struct{})
	var once sync.Once
	open := newStreamOpen()
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		writeEvent(t, w, 1, "run_started")
		open.opened()
		select {
		case <-r.Context().Done():
			return
		case <-asked:
		}
		now := time.Now().UTC()
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: fakeRunID, Playbook: report.Playbook{Name: "sleeper"},
			Roles: []string{"admin"}, Inputs: map[string]any{}, Status: report.StatusCancelled, StartedAt: now.Add(-time.Minute), FinishedAt: now,
			Steps: []report.Step{}, Outputs: map[string]any{}, Error: &report.Error{Class: "cancelled", Message: "cancelled through the API by the caller"}}
		data, _ := json.Marshal(map[string]any{"seq": 2, "kind": "run_finished", "run_id": fakeRunID, "playbook": "sleeper", "report": rep})
		fmt.Fprintf(w, "id: 2\nevent: run_finished\ndata: %s\n\n", data)
		w.(http.Flusher).Flush()
		// The client has the run's end once it leaves the stream.
		<-r.Context().Done()
		close(streamGone)
	})
	mux := srv.Config.Handler.(*http.ServeMux)
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(asked) })
		// The answer comes after the stream told the run's end.
		select {
		case <-streamGone:
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"run_id":%q,"status":"cancelling"}`, fakeRunID)
	})

	p := startEnv(t, []string{"ARSENAL_SERVER=" + srv.URL, "ARSENAL_API_KEY=ak_test"}, "run "+fakeRunID, "remote", "run", "sleeper", "--follow")
	// The command follows the run, its signals watched, once it
	// opens the stream.
	open.wait(t)
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != ExitInterrupted {
		t.Errorf("exit code %d, want %d (the run ended cancelled, as SIGINT asked); stderr:\n%s", code, ExitInterrupted, p.stderr.String())
	}
}

// streamOpen tells a test that the command opened the run's event stream:
// it watches signals from before it asks for the stream, so a signal sent
// then is the one it handles, however slow the machine.
type streamOpen struct {
	once sync.Once
	ch   chan struct{}
}

func newStreamOpen() *streamOpen { return &streamOpen{ch: make(chan struct{})} }

// opened is called by the events handler once it wrote the first event.
func (o *streamOpen) opened() { o.once.Do(func() { close(o.ch) }) }

// wait waits for opened, failing the test after 20 s.
func (o *streamOpen) wait(t *testing.T) {
	t.Helper()
	select {
	case <-o.ch:
	case <-time.After(20 * time.Second):
		t.Fatal("the command never opened the run's event stream")
	}
}
