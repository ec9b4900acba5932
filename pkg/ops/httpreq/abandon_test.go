package httpreq

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestTimedOutHandshakeLetsGoOfTheConnection: a request whose timeout
// runs out during the TLS handshake leaves no connection behind, still
// waiting for a server that accepted it and says nothing. The pool
// carries a dial on after its request gave up (for a later request to
// use); its handshake is bounded by that request's timeout all the same.
func TestTimedOutHandshakeLetsGoOfTheConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	closed := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		// Reads the ClientHello, answers nothing, and sees the client
		// close the connection.
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				close(closed)
				return
			}
		}
	}()
	r := newRegistry(t)
	_, err = opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": "https://" + ln.Addr().String() + "/", "timeout": "200ms"})
	if err == nil {
		t.Fatal("a server silent during the handshake: the request succeeded")
	}
	// Not a measure of speed: the connection is closed at once; a minute
	// only keeps a broken build from waiting for ever.
	select {
	case <-closed:
	case <-time.After(time.Minute):
		t.Fatal("the connection of a request that timed out during the TLS handshake is still open a minute later")
	}
}
