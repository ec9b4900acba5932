package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// floodPlaybook emits far more than the socket buffers between a server
// and a client that reads nothing hold (500 items, each with a log line
// of 32 KiB: 16 MiB), then naps for as long as nap says.
var floodPlaybook = strings.ReplaceAll(`version: 1
name: flood
inputs:
  nap: {type: string, default: 0s}
steps:
  - id: each
    op: control.log
    foreach: "1..16"
    concurrency: 16
    with: {message: "PAD ${{ item }}"}
  - {id: nap, op: control.sleep, with: {duration: "${{ inputs.nap }}"}}
`, "PAD", strings.Repeat("x", 256<<10))

// stuckClient opens the run's event stream over a raw connection, and
// never reads: the server's writes fill the socket buffers, and block.
func stuckClient(t *testing.T, ts *testServer, id string) net.Conn {
	t.Helper()
	// A small receive buffer, set before the connection is made (the
	// window it offers is fixed then), so that the server's writes block
	// after kilobytes rather than after the megabytes loopback's buffers
	// may grow to.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); err != nil {
			return err
		}
		return serr
	}}
	c, err := d.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req := "GET /api/v1/runs/" + id + "/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n" +
		"Authorization: Bearer " + ts.keys["viewer"] + "\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	return c
}

// lockedBuffer is the server's log, read while it writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestEventStreamOfAClientThatStopsReadingEnds: a client that stays
// connected but reads nothing is dropped once it has taken nothing for
// Limits.StreamWriteTimeout, and that is logged with the run and the client;
// it used to hold its stream (and the arsenal_event_streams gauge) for
// as long as it stayed connected, the run long finished.
func TestEventStreamOfAClientThatStopsReadingEnds(t *testing.T) {
	var logged lockedBuffer
	ts := newTestServer(t, func(c *Config) {
		c.Log = &logged
		c.Limits.StreamWriteTimeout = 300 * time.Millisecond
	})
	ts.addPlaybook(t, "flood.yaml", floodPlaybook)
	id := ts.post("operator", "/api/v1/playbooks/flood/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(id)
	c := stuckClient(t, ts, id)
	eventually(t, "the stream to open", func() bool { return testutil.ToFloat64(ts.srv.metrics.streams) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := h.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// eventually allows 20 s, some 60 times the write timeout: a stream
	// that is still open then is held by its client.
	eventually(t, "the stream of the client that reads nothing to end", func() bool {
		return testutil.ToFloat64(ts.srv.metrics.streams) == 0
	})
	if l := logged.String(); !strings.Contains(l, "event stream of run "+id+" to "+c.LocalAddr().String()+" dropped") {
		t.Errorf("the drop is not logged with the run and the client:\n%s", l)
	}
}

// TestEventStreamKeepsAReaderThatIsSlowerThanTheWriteTimeout: the write
// timeout bounds a write that makes no progress, not the stream: a
// client that reads the whole stream, though it pauses for longer than
// the write timeout while the stream is idle, gets it to run_finished.
func TestEventStreamKeepsAReaderThatIsSlowerThanTheWriteTimeout(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Limits.StreamWriteTimeout = 300 * time.Millisecond })
	id := ts.post("operator", "/api/v1/playbooks/paced/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := ts.subscribe(t, ctx, id, "")
	if ev, ok := s.next(t); !ok || ev.event != "run_started" {
		t.Fatalf("the stream begins with %v", ev)
	}
	time.Sleep(time.Second) // idle, and not reading, past the write timeout
	rest := s.rest(t)
	if len(rest) == 0 || rest[len(rest)-1].event != "run_finished" {
		t.Fatalf("the stream did not reach run_finished: %v", rest)
	}
}

// TestShutdownCutsAStreamBlockedOnAClientThatReadsNothing: Shutdown ends
// a stream whose write is blocked on a client that reads nothing at
// once, rather than after the write timeout or the whole grace, which
// it used to wait for, to cut the connection then.
func TestShutdownCutsAStreamBlockedOnAClientThatReadsNothing(t *testing.T) {
	var conns watchedConns
	wrapListener(t, func(l net.Listener) net.Listener { return &watchedListener{Listener: l, conns: &conns} })
	// Only Shutdown ends the stream before the grace.
	ts := newTestServer(t, func(c *Config) { c.Limits.StreamWriteTimeout = 10 * time.Minute })
	ts.addPlaybook(t, "flood.yaml", floodPlaybook)
	id := ts.post("operator", "/api/v1/playbooks/flood/runs", map[string]any{"inputs": map[string]any{"nap": "1h"}}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(id)
	c := stuckClient(t, ts, id)
	waitEvent(t, h, "step_started", "nap")
	// Megabytes of events wait for a client that took a few kilobytes:
	// the stream's write blocks, and stays blocked.
	eventually(t, "a write of the stream blocked on the client", func() bool {
		return conns.blocked(c.LocalAddr().String())
	})
	if n := testutil.ToFloat64(ts.srv.metrics.streams); n != 1 {
		t.Fatalf("%v streams open, want the stuck client's", n)
	}

	// Shutdown returns an error when its grace ran out and it cut the
	// connections left: no error is an end it made itself, before.
	sctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(sctx); err != nil {
		t.Errorf("Shutdown with a stream blocked on a client that reads nothing: %v", err)
	}
	if n := testutil.ToFloat64(ts.srv.metrics.streams); n != 0 {
		t.Errorf("%v streams still open after Shutdown", n)
	}
	// The connection is closed: reading what the server sent ends.
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("the stream's answer: %v %v", res, err)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Errorf("the connection of the stuck client is still open after Shutdown: %v", err)
	}
}

// watchedListener accepts watchedConns.
type watchedListener struct {
	net.Listener
	conns *watchedConns
}

func (l *watchedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	w := &watchedConn{Conn: c, seen: -1}
	l.conns.add(w)
	return w, nil
}

type watchedConns struct {
	mu    sync.Mutex
	conns []*watchedConn
}

func (cs *watchedConns) add(c *watchedConn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.conns = append(cs.conns, c)
}

// blocked reports whether a write to client has blocked.
func (cs *watchedConns) blocked(client string) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, c := range cs.conns {
		if c.RemoteAddr().String() == client && c.isBlocked() {
			return true
		}
	}
	return false
}

// watchedConn is the server's side of a connection, which tells a write
// that blocked: one still under way when looked at again, no write having
// ended in between. Against a client that reads nothing with megabytes
// to send, such a write does not end until its deadline.
type watchedConn struct {
	net.Conn
	mu      sync.Mutex
	writing bool
	ended   int // writes that ended
	seen    int // ended when a write was last seen under way; -1: none
}

func (c *watchedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writing = true
	c.mu.Unlock()
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.writing = false
	c.ended++
	c.mu.Unlock()
	return n, err
}

// isBlocked reports whether the write under way is the one under way
// when isBlocked was last called.
func (c *watchedConn) isBlocked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.writing {
		c.seen = -1
		return false
	}
	same := c.seen == c.ended
	c.seen = c.ended
	return same
}
