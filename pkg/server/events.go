package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
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
	if !live && s.runsElsewhere(r.Context(), id) {
		return s.relay(w, r, id, after)
	}
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
	bw := bufio.NewWriterSize(w, 32<<10)
	flush := func() bool { return bw.Flush() == nil && rc.Flush() == nil }
	if final != nil {
		writeEvent(bw, encodeEvent(final), final)
		flush()
		return nil
	}
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	stream := h.Events()
	cache := s.encoded.acquire(stream)
	defer s.encoded.release(stream)
	sub := stream.Subscribe(after)
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
			// Let a busy run's events gather for a moment, then write
			// them all and flush once: a stream costs a wake-up and a
			// write per batch of events, not per event, so many clients
			// on one run do not take its CPU.
			if ev.Kind != engine.EventRunFinished {
				t := time.NewTimer(gather)
				select {
				case <-t.C:
				case <-ctx.Done():
				}
				t.Stop()
			}
			for n := 0; ok; n++ {
				if !writeEvent(bw, cache.encode(&ev), &ev) {
					return nil
				}
				if ev.Kind == engine.EventRunFinished && ev.RunID == id {
					flush()
					return nil
				}
				if n >= maxBatch {
					break
				}
				ev, ok = sub.TryNext()
			}
			if !flush() {
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

// An event stream writes what gathered in gather after an event, at most
// maxBatch events a flush.
const (
	gather   = 20 * time.Millisecond
	maxBatch = 1024
)

// writeEvent writes one event, its JSON data given, in the
// text/event-stream format. A dropped marker has no id: it stands between
// two sequence numbers.
func writeEvent(w *bufio.Writer, data []byte, ev *engine.Event) bool {
	if data == nil {
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
	_, err := w.WriteString("\n\n")
	return err == nil
}

func encodeEvent(ev *engine.Event) []byte {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil
	}
	return data
}

// encodedEvents shares the JSON of a run's events between the clients
// that stream it, so that each event is encoded once, not once per
// client. A run's cache lives while a client streams it, and holds the
// newest maxEncoded events.
type encodedEvents struct {
	mu   sync.Mutex
	runs map[*runs.Stream]*eventCache
}

const maxEncoded = 4096

type eventCache struct {
	refs  int
	mu    sync.Mutex
	bySeq map[uint64][]byte
	order []uint64
}

func (e *encodedEvents) acquire(s *runs.Stream) *eventCache {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.runs == nil {
		e.runs = map[*runs.Stream]*eventCache{}
	}
	c := e.runs[s]
	if c == nil {
		c = &eventCache{bySeq: map[uint64][]byte{}}
		e.runs[s] = c
	}
	c.refs++
	return c
}

func (e *encodedEvents) release(s *runs.Stream) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.runs[s]; c != nil {
		if c.refs--; c.refs == 0 {
			delete(e.runs, s)
		}
	}
}

// encode returns the JSON of ev, encoding it the first time.
func (c *eventCache) encode(ev *engine.Event) []byte {
	if ev.Seq == 0 {
		return encodeEvent(ev) // a dropped marker, different per client
	}
	c.mu.Lock()
	data, ok := c.bySeq[ev.Seq]
	c.mu.Unlock()
	if ok {
		return data
	}
	data = encodeEvent(ev)
	c.mu.Lock()
	if _, ok := c.bySeq[ev.Seq]; !ok {
		c.bySeq[ev.Seq] = data
		c.order = append(c.order, ev.Seq)
		if len(c.order) > maxEncoded {
			n := len(c.order) / 4 // evict a quarter at once
			for _, seq := range c.order[:n] {
				delete(c.bySeq, seq)
			}
			c.order = append(c.order[:0], c.order[n:]...)
		}
	}
	c.mu.Unlock()
	return data
}
