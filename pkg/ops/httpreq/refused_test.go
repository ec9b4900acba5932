package httpreq

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestRefusedSaysWhatToCheck: a URL at a port nothing listens on said
// "connect: connection refused" and no more; it names the address and
// says to check the port in url and that the service runs. The start of
// the old text stays, for conditions that match it.
func TestRefusedSaysWhatToCheck(t *testing.T) {
	closed := closedAddr(t)
	r := newRegistry(t)
	_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": "http://" + closed + "/health"})
	want := "connect: connection refused; nothing listens on " + closed + ": check the port in url, and that the service runs"
	if err == nil || !strings.Contains(err.Error(), "GET http://"+closed+"/health: dial tcp") || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in %v", want, err)
	}
}

// TestRefusedAfterRedirectNamesTheLocation: when the port a redirect led
// to refuses, the hint points at the Location, not at url.
func TestRefusedAfterRedirectNamesTheLocation(t *testing.T) {
	closed := closedAddr(t)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+closed+"/x", http.StatusFound)
	})
	_, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL})
	want := "nothing listens on " + closed + ": check the Location the server redirected to"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in %v", want, err)
	}
}

// TestRefusedProxyNamesTheProxy: a proxy from the environment that
// refuses the connection is named as the proxy, not as the URL's host.
func TestRefusedProxyNamesTheProxy(t *testing.T) {
	closed := closedAddr(t)
	r := ops.NewRegistry()
	op := &Request{}
	if err := Register(r, op); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	op.transports()
	op.secure.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: closed})
	_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": "https://api.example.invalid/"})
	want := "nothing listens on " + closed + ", the proxy from the environment: check HTTPS_PROXY, HTTP_PROXY and NO_PROXY, and that the proxy runs"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in %v", want, err)
	}
}
