package httpreq

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestBodyWithoutMethodIsAPost checks that a request with body or json and
// no method is sent as a POST and is a write, as curl -d sends it, so that
// a dry run or a read-only role never sends it; that an explicit GET with a
// body stays a read; and that a method or body still to be computed counts
// as the riskier case when the playbook is loaded.
func TestBodyWithoutMethodIsAPost(t *testing.T) {
	type got struct{ Method, Body string }
	received := make(chan got, 1)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received <- got{r.Method, string(b)}
	})
	r := newRegistry(t)
	e, err := r.Get("http.request")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		raw  map[string]any
		want got
		risk ops.Risk
	}{
		{"nothing", map[string]any{}, got{"GET", ""}, ops.RiskRead},
		{"json", map[string]any{"json": map[string]any{"version": "1.2.3", "action": "restart"}}, got{"POST", `{"action":"restart","version":"1.2.3"}`}, ops.RiskWrite},
		{"body", map[string]any{"body": "restart"}, got{"POST", "restart"}, ops.RiskWrite},
		{"empty body", map[string]any{"body": ""}, got{"POST", ""}, ops.RiskWrite},
		{"null json", map[string]any{"json": nil}, got{"GET", ""}, ops.RiskRead},
		{"GET with json", map[string]any{"method": "GET", "json": map[string]any{"size": 0}}, got{"GET", `{"size":0}`}, ops.RiskRead},
		{"HEAD", map[string]any{"method": "HEAD"}, got{"HEAD", ""}, ops.RiskRead},
		{"PUT with body", map[string]any{"method": "PUT", "body": "x"}, got{"PUT", "x"}, ops.RiskWrite},
		{"DELETE", map[string]any{"method": "DELETE"}, got{"DELETE", ""}, ops.RiskWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := map[string]any{"url": s.URL + "/deploy"}
			for k, v := range tc.raw {
				raw[k] = v
			}
			for _, final := range []bool{false, true} {
				p, err := e.Validate(raw, final)
				if err != nil {
					t.Fatal(err)
				}
				if r := e.RiskFor(p); r != tc.risk {
					t.Errorf("risk (final %v) = %s, want %s", final, r, tc.risk)
				}
			}
			if _, err := opstest.Execute(r, context.Background(), "http.request", raw); err != nil {
				t.Fatal(err)
			}
			select {
			case g := <-received:
				if diff := cmp.Diff(tc.want, g); diff != "" {
					t.Errorf("request (-want +got):\n%s", diff)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the server received nothing")
			}
		})
	}
	// At load time an expression may stand for the method or the body.
	for _, raw := range []map[string]any{
		{"url": "http://h/", "json": ops.Deferred},
		{"url": "http://h/", "body": ops.Deferred},
		{"url": "http://h/", "method": ops.Deferred},
		{"url": "http://h/", "method": ops.Deferred, "json": 1},
		{"url": ops.Deferred, "body": "x"},
	} {
		p, err := e.Validate(raw, false)
		if err != nil {
			t.Fatal(err)
		}
		if r := e.RiskFor(p); r != ops.RiskWrite {
			t.Errorf("%v: risk %s, want write", raw, r)
		}
	}
	for _, raw := range []map[string]any{
		{"url": "http://h/", "method": "GET", "json": ops.Deferred},
		{"url": ops.Deferred},
	} {
		p, err := e.Validate(raw, false)
		if err != nil {
			t.Fatal(err)
		}
		if r := e.RiskFor(p); r != ops.RiskRead {
			t.Errorf("%v: risk %s, want read", raw, r)
		}
	}
	if d := e.Spec.Param("method").Description; !strings.Contains(d, "POST when body or json") {
		t.Errorf("the method param's description %q does not say a body makes a POST", d)
	}
}

// TestBadPortIsAValidationError checks that a URL whose port is not a
// number from 1 to 65535 is refused when the playbook is loaded and when
// the URL only arrives at run time, as a validation error (never retried)
// naming the param and the port, rather than failing to dial.
func TestBadPortIsAValidationError(t *testing.T) {
	r := newRegistry(t)
	e, err := r.Get("http.request")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ url, port string }{
		{"http://127.0.0.1:80800/healthz", "80800"},
		{"https://127.0.0.1:65536/", "65536"},
		{"http://127.0.0.1:0/", "0"},
		{"http://127.0.0.1:abc/", `":abc"`},
		{"http://[::1]:-1/", `":-1"`},
	} {
		want := []string{"param url: ", "port " + tc.port + " ", "1 to 65535"}
		raw := map[string]any{"url": tc.url}
		_, err := e.Validate(raw, false)
		opstest.WantValidation(t, tc.url+" loaded", err, want...)
		_, err = opstest.Execute(r, context.Background(), "http.request", raw)
		opstest.WantValidation(t, tc.url+" run", err, want...)
		// Executed without that validation: the op checks again.
		_, err = (&Request{}).Execute(context.Background(), ops.Params{"url": tc.url, "timeout": time.Second})
		opstest.WantValidation(t, tc.url+" executed", err, want...)
	}
	if _, err := e.Validate(map[string]any{"url": ops.Deferred}, false); err != nil {
		t.Errorf("a deferred URL: %v", err)
	}
	for _, u := range []string{"http://h:1/", "https://h:65535/x", "http://[::1]:8080/", "http://h/", "http://h:/"} {
		if _, err := e.Validate(map[string]any{"url": u}, true); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
