package httpreq

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestProxyRefusalNamesTheProxy: a proxy from the environment that
// refuses the tunnel to an https host is named, with its status and what
// to do; net/http gave the status text alone ("Forbidden"), which read as
// the host's answer. The proxy's password is not shown.
func TestProxyRefusalNamesTheProxy(t *testing.T) {
	for code, want := range map[int]string{
		http.StatusForbidden:         "refused to connect to the host: 403 Forbidden; check HTTPS_PROXY and NO_PROXY",
		http.StatusProxyAuthRequired: "refused to connect to the host: 407 Proxy Authentication Required; it asks for credentials: give them (or the right ones) in HTTPS_PROXY",
	} {
		proxy := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
		pu, err := url.Parse(proxy.URL)
		if err != nil {
			t.Fatal(err)
		}
		pu.User = url.UserPassword("bob", "hunter2")
		r := ops.NewRegistry()
		op := &Request{}
		if err := Register(r, op); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		op.transports()
		op.secure.Proxy = http.ProxyURL(pu)
		_, err = opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": "https://api.example.invalid/"})
		if err == nil || !strings.Contains(err.Error(), "the proxy "+pu.Host+" (from the environment) "+want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%d: want %q in %v", code, want, err)
		}
	}
}
