package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// heartbeat is how often an idle event stream sends a comment, so that
// proxies keep it open and a gone client is noticed.
const heartbeat = 15 * time.Second

// GET /api/v1/runs/{id}/events: the run's events as Server-Sent Events,
// one per event of the run service: id is the sequence number, event the
// kind, data the event as JSON. The stream starts with the replay (after
// Last-Event-ID when the client sends it) and ends after the run's
// run_finished, which every client gets: one whose Last-Event-ID is at or
// past the run_finished of a run this process holds gets it with its own
// id once the run has ended (at once if it has), and, while the run goes
// on, the events numbered above its Last-Event-ID as they come. A run
// that another replica runs or ran is relayed from the store (see relay).
// A run that another process on the same state dir runs (arsenal-run run,
// a scheduler) is told from the history as it goes, until its end (see
// followHistory). A run this process no longer holds, ended, is its
// report told as events,
// numbered from 1 again: to a client that saw more than that
// (Last-Event-ID at or past its end), one run_finished numbered after
// what it saw, for ids never go backwards; to any other client with a
// Last-Event-ID, all of them, for its id may be one of the run's live
// stream, which numbered other events.
//
// The status and headers are sent at once, before any event: a queued
// run may have none for long, and a client must not take the stream for
// a request that hangs.
func (s *Server) events(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	release, e := s.streams.take(c.Name)
	if e != nil {
		return e
	}
	defer release()
	id := r.PathValue("id")
	var after uint64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		// No run numbers its events past 2^53, where JavaScript's numbers
		// stop counting one by one; one above could not be numbered after.
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err == nil && n > 1<<53 {
			return badField("Last-Event-ID", "Last-Event-ID %q: no event has an id that large; give the id of the last event received", v)
		}
		if err != nil {
			return badField("Last-Event-ID", "Last-Event-ID %q: give the id of the last event received, a number", v)
		}
		after = n
	}
	h, live := s.mgr.Get(id)
	elsewhere := false
	if !live && s.cfg.Queue != nil {
		var err error
		if elsewhere, err = s.runsElsewhere(r.Context(), id); err != nil {
			return storeError(err)
		}
		elsewhere = elsewhere || s.relays(r.Context(), id)
	}
	if elsewhere {
		// Another replica runs it, or ran it: its events as that replica
		// numbered them, so that Last-Event-ID means the same here.
		return s.relay(w, r, c, id, after)
	}
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	defer context.AfterFunc(s.stopCtx, stop)() // and its wait for events
	var stream *runs.Stream
	followed := false
	if live {
		stream = h.Events()
	} else {
		rep, e := s.report(r.Context(), id)
		if e != nil {
			return e
		}
		if rep.Status == history.StatusRunning {
			// Another process on the same state dir runs it: the history
			// tells it as it goes, and its end when it comes.
			stream, followed = s.followHistory(ctx, id, rep), true
		} else {
			// Ended before this process knew it: its report, told as events.
			stream = runs.ReplayOf(rep)
			if after >= stream.Last() {
				// The client saw more of the live stream than the report
				// tells (its log and attempt events): the run's end, after
				// what it saw.
				return writeOnly(w, finishedEvent(rep, after+1))
			}
			// The told stream numbers only the run's and its steps' events,
			// from 1; the live stream (before a restart, say) numbered its
			// log, item and retry events too, so a live id names another
			// event here, and resuming after it would skip steps the client
			// never saw. Every told event instead: each step's final state,
			// some perhaps again.
			after = 0
		}
	}
	// A run this process holds streams its events after the client's
	// Last-Event-ID as they come; one whose stream ends without sending
	// the client its run_finished, for its id was at or past it, ends with
	// that run_finished all the same (see finalEvent).

	sc, end := s.openStream(w, r, id)
	defer end()
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Flushed now, not with the first event or keep-alive: a browser's
	// EventSource stays connecting, and a client or proxy with a
	// response-header timeout gives up, until the headers come.
	if sc.Flush() != nil {
		return nil
	}
	bw := bufio.NewWriterSize(sc, 32<<10)
	flush := func() bool { return bw.Flush() == nil && sc.Flush() == nil }
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	cache := s.encoded.acquire(stream)
	defer s.encoded.release(stream)
	sub := stream.Subscribe(after)
	defer sub.Cancel()
	var batch []*engine.Event
	var frames [][]byte
	checked, wrote := time.Now(), time.Now()
	// holds re-checks, every recheck at most, that the caller may still
	// read the stream; a stream of a caller signed out, or of a key
	// removed or changed, ends.
	holds := func() bool {
		if time.Since(checked) < recheck {
			return true
		}
		checked = time.Now()
		return s.stillHolds(r, c)
	}
	for {
		wait, cancel := context.WithTimeout(ctx, min(heartbeat, recheck))
		ev, ok := sub.Next(wait)
		timedOut := wait.Err() != nil && ctx.Err() == nil
		cancel()
		if (ok || timedOut) && !holds() {
			return nil
		}
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
			batch = sub.TakeQueued(append(batch[:0], &ev))
			frames = cache.encode(batch, frames[:0])
			for i, e := range batch {
				if !writeFrame(bw, frames[i]) {
					return nil
				}
				if e.Kind == engine.EventRunFinished && e.RunID == id {
					flush()
					return nil
				}
			}
			clear(batch) // the events are the stream's; hold none between batches
			clear(frames)
			if !flush() {
				return nil
			}
			wrote = time.Now()
		case timedOut:
			if time.Since(wrote) < heartbeat {
				continue
			}
			if _, err := bw.WriteString(": keep-alive\n\n"); err != nil || !flush() {
				return nil
			}
			wrote = time.Now()
		default:
			// The stream ended, the client went, or the server stops. A
			// run's stream ends after its run_finished: a client that
			// did not get it (its Last-Event-ID was at or past it) gets it
			// now, with its id (numbered after what it saw, for a run
			// told from the history), so that it learns the run ended.
			var fin *engine.Event
			switch {
			case ctx.Err() != nil:
			case live:
				fin = finalEvent(h, stream, after)
			case followed:
				fin = toldEnd(stream, id, after)
			}
			if fin != nil && writeFrame(bw, eventFrame(fin)) {
				flush()
			}
			return nil
		}
	}
}

// finalEvent is the run_finished of a run this process holds, for a
// client whose stream of it ended without it: the one the run's stream
// holds, with its id, though that is not above after (the client's
// Last-Event-ID was past the end); a run whose stream has none ends with
// one told from its report, numbered after both. Nil while the run goes
// on.
func finalEvent(h *runs.Handle, stream *runs.Stream, after uint64) *engine.Event {
	select {
	case <-stream.Done():
	default:
		return nil
	}
	last := stream.Last()
	if last > 0 {
		sub := stream.Subscribe(last - 1)
		ev, ok := sub.TryNext()
		sub.Cancel()
		if ok && ev.Kind == engine.EventRunFinished && ev.RunID == h.ID() {
			return &ev
		}
	}
	<-h.Done() // the run closes its stream just before
	rep := h.Report()
	if rep == nil {
		return nil
	}
	return finishedEvent(rep, max(after, last)+1)
}

// recheck is how often an event stream checks that its caller may still
// read it.
const recheck = 2 * time.Second

// stillHolds reports whether the credentials a stream was opened with
// still stand for its caller: the session is not signed out and its key
// neither gone, expired nor changed; the key of the Authorization header
// is still in the keys file, unexpired, with the same roles; the client
// certificate still maps to them. It counts no failure: the caller
// authenticated when the stream began.
func (s *Server) stillHolds(r *http.Request, c *Principal) bool {
	if c == nil {
		return true
	}
	keys := s.current().Keys
	switch {
	case c.session != nil:
		sess, err := s.cfg.Sessions.check(r.Context(), sessionToken(r))
		if errors.Is(err, errUncheckedToken) {
			return true // the database is away; the next check asks again
		}
		return err == nil && s.sessionProblem(sess, keys) == ""
	case c.Via == "key":
		_, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		k := keys.lookup(strings.TrimSpace(key))
		return k != nil && k.name == c.Name && sameRoles(k.roles, c.Roles) && (k.expires.IsZero() || s.cfg.Now().Before(k.expires))
	default:
		p := s.fromCert(r, keys)
		return p != nil && p.Name == c.Name && sameRoles(p.Roles, c.Roles)
	}
}

// writeOnly answers an event stream that holds one event.
func writeOnly(w http.ResponseWriter, ev *engine.Event) *apiError {
	frame := eventFrame(ev)
	if frame == nil {
		return errorf(http.StatusInternalServerError, ClassInternal, "cannot encode the run's %s event", ev.Kind)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(frame)
	return nil
}

// An event stream writes what gathered in gather after an event, and
// flushes once.
const gather = 20 * time.Millisecond

// eventFrame is one event in the text/event-stream format, its id, its
// kind and its JSON, or nil if it cannot be encoded. A dropped marker has
// no id: it stands between two sequence numbers.
func eventFrame(ev *engine.Event) []byte {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil
	}
	b := make([]byte, 0, len(data)+len(ev.Kind)+40)
	if ev.Seq > 0 {
		b = append(b, "id: "...)
		b = strconv.AppendUint(b, ev.Seq, 10)
		b = append(b, '\n')
	}
	b = append(b, "event: "...)
	b = append(b, ev.Kind...)
	b = append(b, "\ndata: "...)
	b = append(b, data...) // JSON has no raw newlines
	return append(b, "\n\n"...)
}

// writeFrame writes an event's frame; false if there is none or the
// write failed.
func writeFrame(w *bufio.Writer, frame []byte) bool {
	if frame == nil {
		return false
	}
	_, err := w.Write(frame)
	return err == nil
}

// encodedEvents shares the frames of a run's events between the clients
// that stream it, so that each event is encoded once, not once per
// client. A run's cache lives while a client streams it, and holds as
// many events as the run's replay, so that clients that attach late and
// read the replay find it encoded too.
type encodedEvents struct {
	mu   sync.Mutex
	runs map[*runs.Stream]*eventCache
}

const maxEncoded = runs.DefaultReplay

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

// encode appends the frame of each event to dst, encoding those met for
// the first time, and returns it. One lock for a batch: clients reading
// the same event wait for the first to encode it rather than each
// encoding it too.
func (c *eventCache) encode(evs []*engine.Event, dst [][]byte) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range evs {
		if ev.Seq == 0 {
			dst = append(dst, eventFrame(ev)) // a dropped marker, different per client
			continue
		}
		data, ok := c.bySeq[ev.Seq]
		if !ok {
			data = eventFrame(ev)
			c.bySeq[ev.Seq] = data
			c.order = append(c.order, ev.Seq)
		}
		dst = append(dst, data)
	}
	if len(c.order) > maxEncoded {
		n := len(c.order) / 4 // evict a quarter at once
		for _, seq := range c.order[:n] {
			delete(c.bySeq, seq)
		}
		c.order = append(c.order[:0], c.order[n:]...)
	}
	return dst
}

// MaxStreamsPerCaller bounds the event streams one caller (a key, a
// certificate subject, a console session's key) holds open at once: each
// holds a goroutine and a connection, and the per-key request rate alone
// lets one key open thousands over a few minutes.
const MaxStreamsPerCaller = 256

// callerStreams counts the event streams open by caller.
type callerStreams struct {
	mu sync.Mutex
	n  map[string]int
}

// take counts a stream of caller, or answers 429 when caller holds
// MaxStreamsPerCaller already; release uncounts it.
func (cs *callerStreams) take(caller string) (release func(), e *apiError) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.n[caller] >= MaxStreamsPerCaller {
		return nil, tooMany(time.Second, "%s holds %d event streams open, the most one caller may; close some (each run's stream ends after its run_finished)", caller, MaxStreamsPerCaller)
	}
	if cs.n == nil {
		cs.n = map[string]int{}
	}
	cs.n[caller]++
	return func() {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		if cs.n[caller]--; cs.n[caller] <= 0 {
			delete(cs.n, caller)
		}
	}, nil
}
