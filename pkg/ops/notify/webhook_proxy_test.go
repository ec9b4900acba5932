package notify

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// ruled is a fake scope that allows every address; restricts says
// whether it has http rules.
type ruled struct{ restricts bool }

func (ruled) AllowDial(string, net.IP) error { return nil }
func (r ruled) RestrictsNetwork() bool       { return r.restricts }

// TestWebhookUsesTheEnvironmentsProxy: without http rules a webhook goes
// through the proxy of the environment (HTTPS_PROXY and the like), as
// http.request does, since a Slack or Teams endpoint is often reachable
// only through one; under http rules it does not, so that the rules judge
// the endpoint itself.
func TestWebhookUsesTheEnvironmentsProxy(t *testing.T) {
	got := make(chan string, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Host
		io.WriteString(w, "ok")
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	old := proxyFromEnvironment
	proxyFromEnvironment = func(*http.Request) (*url.URL, error) { return proxyURL, nil }
	defer func() { proxyFromEnvironment = old }()

	// Nothing listens at the endpoint: only the proxy answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := ln.Addr().String()
	ln.Close()

	e, err := registry(t).Get("notify.webhook")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Validate(map[string]any{"url": "http://" + endpoint + "/hook", "text": "hi"}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, restricts := range []bool{false, true} {
		ctx := ops.WithCall(context.Background(), &ops.Call{Scope: ruled{restricts}})
		_, err := e.Invoke(ctx, p, chaintoken.New())
		if restricts {
			if err == nil {
				t.Error("under http rules: sent through the proxy")
			}
			continue
		}
		if err != nil {
			t.Fatalf("without http rules: %v", err)
		}
		if host := <-got; host != endpoint {
			t.Errorf("the proxy was asked for %q; want %q", host, endpoint)
		}
	}
	select {
	case host := <-got:
		t.Errorf("under http rules the proxy was asked for %q", host)
	default:
	}
}
