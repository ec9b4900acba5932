package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// heartbeat is how often an idle event stream sends a comment, so that
// proxies keep it open and a gone client is noticed.
const heartbeat = 15 * time.Second

// GET /api/v1/runs/{id}/events: the run's events as Server-Sent Events,
// one per event of the run service: id is the sequence number, event the
// kind, data the event as JSON. The stream starts with the replay (after
// Last-Event-ID when the client sends it) and ends after the run's
// run_finished. A run this process no longer holds is one run_finished
// event with its report.
func (s *Server) events(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	id := r.PathValue("id")
	var after uint64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return badField("Last-Event-ID", "Last-Event-ID %q: give the id of the last event received, a number", v)
		}
		after = n
	}
	h, live := s.mgr.Get(id)
	var final *engine.Event
	if !live {
		rep, e := s.report(r.Context(), id)
		if e != nil {
			return e
		}
		final = &engine.Event{Kind: engine.EventRunFinished, RunID: id, Time: rep.FinishedAt, Status: string(rep.Status), Report: rep}
	}

	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{}) // a stream lasts as long as the run
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 8<<10)
	send := func(ev *engine.Event) bool {
		if !writeEvent(bw, ev) || bw.Flush() != nil || rc.Flush() != nil {
			return false
		}
		return true
	}
	if final != nil {
		send(final)
		return nil
	}
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	sub := h.Events().Subscribe(after)
	defer sub.Cancel()
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	defer context.AfterFunc(s.stopCtx, stop)() // Shutdown ends streams at once
	for {
		wait, cancel := context.WithTimeout(ctx, heartbeat)
		ev, ok := sub.Next(wait)
		timedOut := wait.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case ok:
			if !send(&ev) {
				return nil
			}
			if ev.Kind == engine.EventRunFinished && ev.RunID == id {
				return nil
			}
		case timedOut:
			if _, err := bw.WriteString(": keep-alive\n\n"); err != nil || bw.Flush() != nil || rc.Flush() != nil {
				return nil
			}
		default:
			return nil // the stream ended, the client went, or the server stops
		}
	}
}

// writeEvent writes one event in the text/event-stream format. A dropped
// marker has no id: it stands between two sequence numbers.
func writeEvent(w *bufio.Writer, ev *engine.Event) bool {
	data, err := json.Marshal(ev)
	if err != nil {
		return false
	}
	if ev.Seq > 0 {
		w.WriteString("id: ")
		w.WriteString(strconv.FormatUint(ev.Seq, 10))
		w.WriteByte('\n')
	}
	w.WriteString("event: ")
	w.WriteString(string(ev.Kind))
	w.WriteString("\ndata: ")
	w.Write(data) // JSON has no raw newlines
	_, err = w.WriteString("\n\n")
	return err == nil
}
