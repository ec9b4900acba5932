package httpreq

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestRedirectKeepsTheBodyToItsHost: a 307 or 308 to another host (here
// another port of loopback) is not followed with the body, which the step
// meant for its URL's host; a 307 on the same host, and a 302 (which
// turns the POST into a GET without it), are followed as before.
func TestRedirectKeepsTheBodyToItsHost(t *testing.T) {
	var mu sync.Mutex
	var got []string // what the other host received: method and body
	other := server(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+string(b))
		mu.Unlock()
	})
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/307":
			http.Redirect(w, r, other.URL+"/in", http.StatusTemporaryRedirect)
		case "/308":
			http.Redirect(w, r, other.URL+"/in", http.StatusPermanentRedirect)
		case "/302":
			http.Redirect(w, r, other.URL+"/in", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect)
		}
	})
	r := newRegistry(t)
	for _, path := range []string{"/307", "/308"} {
		_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + path, "body": "token=s3cret"})
		if err == nil || !strings.Contains(err.Error(), "redirected to "+other.URL+"/in: not followed") || !strings.Contains(err.Error(), "follow_redirects: 0") {
			t.Errorf("%s: want the redirect not followed, saying why; got %v", path, err)
		}
	}
	if _, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + "/302", "method": "POST", "body": "token=s3cret"}); err != nil {
		t.Errorf("302: %v", err)
	}
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + "/here", "body": "x"})
	if err != nil || out["url"] != s.URL+"/ok" {
		t.Errorf("307 on the same host: %v, %v; want it followed", out["url"], err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "GET " {
		t.Errorf("the other host received %q; want only the 302's GET, without the body", got)
	}
}
