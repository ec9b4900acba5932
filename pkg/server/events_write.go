package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// Limits.StreamWriteTimeout is how long an event stream waits for its
// client to take one write of at most streamWriteChunk bytes. A client
// that stays connected but stops reading fills the socket's buffers, and
// then a write blocks until the client reads or the connection breaks,
// which a half-dead client or a stuck proxy never does: the stream, its
// subscription and its queue of events would be held for ever, and
// Shutdown would wait the whole grace for it. A client that takes less
// than a chunk in that long is dropped.

// streamWriteChunk bounds one write under one deadline, so that the
// deadline measures progress, not the size of a write: a run_finished
// carries the whole report, which a slow but reading client may need
// longer than the write timeout to take in one piece.
const streamWriteChunk = 32 << 10

// streamEndSlack is how long the end of the response (the last chunk of
// the chunked body) may take when Shutdown ends a stream that was not
// writing: a reading client gets a clean end at once, and a stuck one
// cannot hold Shutdown for longer than this.
const streamEndSlack = 250 * time.Millisecond

// errStreamStopped is the write error of a stream that Shutdown ended.
var errStreamStopped = errors.New("the server is shutting down")

// streamConn writes an event stream to its client, each write and flush
// under a write deadline of its own, so that a client that takes nothing
// for its timeout ends the stream instead of pinning it, and stop
// (Shutdown) cuts a write that blocks at once. Between writes the
// connection has no deadline: an idle stream, between events or
// keep-alives, may last as long as its run (over HTTP/2 a deadline is the
// stream's, passed or not, not the write's).
type streamConn struct {
	w  http.ResponseWriter
	rc *http.ResponseController

	timeout time.Duration // of one write (Limits.StreamWriteTimeout)

	mu       sync.Mutex
	writing  bool
	stopped  bool      // Shutdown began: no more writes
	ended    bool      // the handler returned: the connection is net/http's again
	deadline time.Time // of the write under way, or the last
	stalled  bool      // a write failed once its deadline passed
}

// openStream readies w for the event stream of run id, which lasts as
// long as the run, past the server's read and write timeouts: each write
// is bounded instead (streamConn), so that a client that stops reading is
// dropped, and Shutdown cuts a stream at once, a write blocked on such a
// client too. Call end when the stream ends; it logs a dropped client.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request, id string) (sc *streamConn, end func()) {
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	sc = newStreamConn(w, s.cfg.Limits.StreamWriteTimeout)
	stop := context.AfterFunc(s.stopCtx, sc.stop)
	return sc, func() {
		stop()
		if sc.hasStalled() {
			s.log.Printf("event stream of run %s to %s dropped: the client took no write in %s", id, clientConn(r), short.Duration(sc.timeout))
		}
		sc.end()
	}
}

func newStreamConn(w http.ResponseWriter, timeout time.Duration) *streamConn {
	return &streamConn{w: w, rc: http.NewResponseController(w), timeout: timeout}
}

// Write writes p in chunks, each under a fresh deadline; it is what the
// stream's bufio.Writer writes to.
func (c *streamConn) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), streamWriteChunk)]
		if !c.begin() {
			return n, errStreamStopped
		}
		m, err := c.w.Write(chunk)
		c.done(err)
		n += m
		if err != nil {
			return n, err
		}
		p = p[len(chunk):]
	}
	return n, nil
}

// Flush sends what net/http holds of the response, under a deadline.
func (c *streamConn) Flush() error {
	if !c.begin() {
		return errStreamStopped
	}
	err := c.rc.Flush()
	c.done(err)
	return err
}

// begin sets the deadline of a write; false once the server stops.
func (c *streamConn) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return false
	}
	c.writing = true
	c.deadline = time.Now().Add(c.timeout)
	c.rc.SetWriteDeadline(c.deadline) // unsupported (a test's recorder): unbounded, as before
	return true
}

// done lifts the deadline after a write, and notes a write that failed
// because the client took nothing until it passed. Checked against the
// clock, not the error, so that HTTP/1 and HTTP/2 are told alike.
func (c *streamConn) done(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing = false
	if err != nil {
		if !c.stopped && !time.Now().Before(c.deadline) {
			c.stalled = true
		}
		return
	}
	if !c.stopped {
		c.rc.SetWriteDeadline(time.Time{})
	}
}

// stop ends the stream for Shutdown: a write under way, which may be
// blocked on a client that reads nothing, fails at once rather than at
// its deadline; a stream between writes writes no more, and its end is
// given streamEndSlack. It may run on another goroutine than the writes.
func (c *streamConn) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped || c.ended {
		return
	}
	c.stopped = true
	if c.writing {
		c.rc.SetWriteDeadline(time.Now())
	} else {
		c.rc.SetWriteDeadline(time.Now().Add(streamEndSlack))
	}
}

// end hands the connection back to net/http when the handler returns.
// What net/http still writes (the end of the chunked body) gets a
// deadline too: a client that reads nothing would otherwise hold the
// connection, and Shutdown, on that last write.
func (c *streamConn) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.rc.SetWriteDeadline(time.Now().Add(c.timeout))
	}
	c.ended = true
}

// hasStalled reports whether the stream ended because its client took
// nothing for its timeout.
func (c *streamConn) hasStalled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stalled
}
