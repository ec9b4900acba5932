package httpreq

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// slowListener hands over each connection late, as a server that takes
// its time over the TLS handshake does.
type slowListener struct {
	net.Listener
	delay time.Duration
}

func (l slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		time.Sleep(l.delay)
	}
	return c, err
}

// TestSlowHandshakeWithinTheTimeout: the step's timeout bounds the whole
// exchange, connection and TLS handshake included; no shorter limit of
// the connection pool's (a handshake cut at 10 s) fails a request given
// a minute.
func TestSlowHandshakeWithinTheTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 11 s for a handshake")
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "late") }))
	s.Listener = slowListener{Listener: s.Listener, delay: 11 * time.Second}
	s.StartTLS()
	t.Cleanup(s.Close)
	r := newRegistry(t)
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "insecure_skip_verify": true, "timeout": "60s"})
	if err != nil || out["body"] != "late" {
		t.Errorf("a handshake of 11 s under a timeout of 60 s: %v %v", out, err)
	}
}
