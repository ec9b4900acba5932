package httpreq

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// serverCert is a server certificate the system's roots trust in these
// tests.
var serverCert tls.Certificate

func TestMain(m *testing.M) {
	var err error
	if serverCert, err = opstest.TrustServerCert(); err != nil {
		panic(err)
	}
	goleak.VerifyTestMain(m)
}

func newRegistry(t *testing.T) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// server is a test server whose handler records what it received.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestRequestSucceeds(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "body": string(b), "ct": r.Header.Get("Content-Type"), "token": r.Header.Get("X-Token")})
	})
	r := newRegistry(t)
	tests := []struct {
		name string
		raw  map[string]any
		want map[string]any
	}{
		{"get", map[string]any{"url": s.URL + "/x"},
			map[string]any{"method": "GET", "body": "", "ct": "", "token": ""}},
		{"post json", map[string]any{"method": "POST", "url": s.URL, "json": map[string]any{"a": 1}, "headers": map[string]any{"X-Token": "t"}},
			map[string]any{"method": "POST", "body": `{"a":1}`, "ct": "application/json", "token": "t"}},
		{"put body", map[string]any{"method": "PUT", "url": s.URL, "body": "raw", "headers": map[string]any{"Content-Type": "text/plain"}},
			map[string]any{"method": "PUT", "body": "raw", "ct": "text/plain", "token": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := opstest.Execute(r, context.Background(), "http.request", tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out["json"]); diff != "" {
				t.Errorf("json (-want +got):\n%s", diff)
			}
			h := out["headers"].(map[string]any)
			if out["status"] != 200 || out["truncated"] != false || h["X-Multi"] != "a, b" || !strings.HasPrefix(h["Content-Type"].(string), "application/json") {
				t.Errorf("output %v", out)
			}
			if _, err := json.Marshal(out); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestStatusChecks(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "maintenance\nuntil noon")
	})
	r := newRegistry(t)
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution {
		t.Fatalf("503: error %v", err)
	}
	for _, w := range []string{"503", "expected 2xx", "maintenance until noon"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if out == nil || out["status"] != 503 || out["body"] != "maintenance\nuntil noon" {
		t.Errorf("the output must come with the failure: %v", out)
	}
	// The statuses read as the playbook writes them, not as Go prints a slice.
	if _, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "expect_status": []any{200, 204}}); err == nil || !strings.Contains(err.Error(), "expected [200, 204]") {
		t.Errorf("expect_status [200, 204]: %v, want it listed as [200, 204]", err)
	}
	if _, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "expect_status": []any{200, 503}}); err != nil {
		t.Errorf("503 listed in expect_status: %v", err)
	}
}

func TestRedirects(t *testing.T) {
	type seen struct{ auth, key, cookie, accept string }
	got := make(chan seen, 10)
	other := server(t, func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), r.Header.Get("Cookie"), r.Header.Get("Accept")}
		io.WriteString(w, "landed")
	})
	// other's URL with "localhost" is another host than the 127.0.0.1 of s.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, otherURL+"/landing", http.StatusFound)
		case "/home":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/final":
			got <- seen{r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), r.Header.Get("Cookie"), r.Header.Get("Accept")}
			io.WriteString(w, "home")
		}
	})
	r := newRegistry(t)
	headers := map[string]any{"Authorization": "Bearer secret", "X-Api-Key": "k", "Cookie": "c=1", "Accept": "text/plain"}

	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + "/away", "headers": headers})
	if err != nil || out["body"] != "landed" {
		t.Fatalf("cross-host redirect: %v %v", out, err)
	}
	if diff := cmp.Diff(seen{accept: "text/plain"}, <-got, cmp.AllowUnexported(seen{})); diff != "" {
		t.Errorf("headers sent to another host (-want +got):\n%s", diff)
	}
	out, err = opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + "/home", "headers": headers})
	if err != nil || out["body"] != "home" || out["url"] != s.URL+"/final" {
		t.Fatalf("same-host redirect: %v %v", out, err)
	}
	if diff := cmp.Diff(seen{"Bearer secret", "k", "c=1", "text/plain"}, <-got, cmp.AllowUnexported(seen{})); diff != "" {
		t.Errorf("headers kept on the same host (-want +got):\n%s", diff)
	}
	out, err = opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + "/home", "follow_redirects": 0, "expect_status": []any{302}})
	if err != nil || out["status"] != 302 || out["headers"].(map[string]any)["Location"] != "/final" {
		t.Errorf("follow_redirects 0: %v %v", out, err)
	}
	_, err = opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + "/loop", "follow_redirects": 3})
	if err == nil || !strings.Contains(err.Error(), "stopped after 3 redirects") {
		t.Errorf("redirect loop: %v", err)
	}
}

func TestBodyIsCapped(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `["`+strings.Repeat("x", 3<<20)+`"]`)
	})
	r := newRegistry(t)
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "max_bytes": 1000})
	if err != nil {
		t.Fatal(err)
	}
	b := out["body"].(string)
	if out["truncated"] != true || out["json"] != nil || len(b) > 1100 || !strings.HasPrefix(b, `["x`) || !strings.HasSuffix(b, `x"]`) {
		t.Errorf("capped body: truncated %v json %v len %d", out["truncated"], out["json"], len(b))
	}
}

func TestBadJSONBody(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		io.WriteString(w, `{"broken":`)
	})
	out, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL})
	if err != nil || out["json"] != nil || !strings.Contains(out["json_error"].(string), "not valid JSON") {
		t.Errorf("invalid JSON: %v %v", out, err)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	r := newRegistry(t)
	start := time.Now()
	_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "timeout": "200ms"})
	if !errors.Is(err, context.DeadlineExceeded) || ops.ClassOf(err) != ops.ClassTimeout || !strings.Contains(err.Error(), "param timeout") {
		t.Errorf("timeout: %v (class %s)", err, ops.ClassOf(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = opstest.Execute(r, ctx, "http.request", map[string]any{"url": s.URL})
	if !errors.Is(err, context.Canceled) || ops.ClassOf(err) != ops.ClassCancelled {
		t.Errorf("cancel: %v (class %s)", err, ops.ClassOf(err))
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestCredentialsAreMasked(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r := newRegistry(t)
	_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": "http://bob:hunter2@" + addr + "/?token=abc&page=2"})
	if err == nil {
		t.Fatal("want a connection error")
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "abc") || !strings.Contains(err.Error(), "bob:***@") || !strings.Contains(err.Error(), "token=***&page=2") {
		t.Errorf("error leaks or misses the masked URL: %v", err)
	}
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		io.WriteString(w, u+":"+p)
	})
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": strings.Replace(s.URL, "://", "://bob:hunter2@", 1) + "/?api_key=k"})
	if err != nil || out["body"] != "bob:hunter2" || strings.Contains(out["url"].(string), "hunter2") || !strings.HasSuffix(out["url"].(string), "api_key=***") {
		t.Errorf("output: %v %v", out, err)
	}
}

// denyLoopback is a fake scope with a network policy.
type denyLoopback struct{ calls chan string }

func (d denyLoopback) AllowDial(host string, ip net.IP) error {
	d.calls <- host + " " + ip.String()
	if ip.IsLoopback() {
		return errors.New("loopback is not in the allowed networks")
	}
	return nil
}

type allowAll struct{}

func (allowAll) AllowDial(string, net.IP) error { return nil }

var _ DialScope = denyLoopback{}

func TestDialPolicy(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	r := newRegistry(t)
	calls := make(chan string, 10)
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: denyLoopback{calls}})
	url := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	_, err := opstest.Execute(r, ctx, "http.request", map[string]any{"url": url})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "loopback is not in the allowed networks") {
		t.Fatalf("denied dial: %v (class %s)", err, ops.ClassOf(err))
	}
	if c := <-calls; !strings.HasPrefix(c, "localhost ") {
		t.Errorf("the policy saw %q; want the host as written and the resolved IP", c)
	}
	ctx = ops.WithCall(context.Background(), &ops.Call{Scope: allowAll{}})
	if _, err := opstest.Execute(r, ctx, "http.request", map[string]any{"url": s.URL}); err != nil {
		t.Errorf("allowed dial: %v", err)
	}
}

func TestTLS(t *testing.T) {
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	defer s.Close()
	r := newRegistry(t)
	_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL})
	if err == nil || !strings.Contains(err.Error(), "insecure_skip_verify") {
		t.Errorf("self-signed certificate: %v", err)
	}
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "insecure_skip_verify": true})
	if err != nil || out["body"] != "secure" {
		t.Errorf("insecure_skip_verify: %v %v", out, err)
	}
}

func TestBadParams(t *testing.T) {
	r := newRegistry(t)
	tests := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{}, "param url: is required"},
		{map[string]any{"url": "ftp://host/x"}, `scheme "ftp" is not supported`},
		{map[string]any{"url": "http:///path"}, "has no host"},
		{map[string]any{"url": "127.0.0.1:18080/json"}, "has no scheme; start it with http:// or https://"},
		{map[string]any{"url": "localhost:8080"}, "has no scheme"},
		{map[string]any{"url": "http://h", "method": "BREW"}, "not one of"},
		{map[string]any{"url": "http://h", "body": "a", "json": 1}, "body or json, not both"},
		{map[string]any{"url": "http://h", "headers": map[string]any{"X-A": "a\r\nX-B: b"}}, "inject headers"},
		{map[string]any{"url": "http://h", "headers": map[string]any{"Bad Name": "a"}}, "not a valid header name"},
		{map[string]any{"url": "http://h", "expect_status": []any{700}}, "not an HTTP status"},
		{map[string]any{"url": "http://h", "timeout": "0s"}, "positive duration"},
		{map[string]any{"url": "http://h", "follow_redirects": -1}, "below the minimum"},
	}
	for _, tc := range tests {
		_, err := opstest.Execute(r, context.Background(), "http.request", tc.raw)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want a validation error containing %q", tc.raw, err, tc.want)
		}
	}
	// A URL that does not parse is not repeated: it may hold a password.
	_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": "http://admin:s3cret%zz@host/"})
	if err == nil || !strings.Contains(err.Error(), "not a valid URL") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a URL that does not parse: %v", err)
	}
}

func TestRisk(t *testing.T) {
	r := newRegistry(t)
	e, _ := r.Get("http.request")
	for method, want := range map[any]ops.Risk{"GET": ops.RiskRead, "HEAD": ops.RiskRead, "POST": ops.RiskWrite, "DELETE": ops.RiskWrite, ops.Deferred: ops.RiskWrite} {
		p, _ := e.Validate(map[string]any{"url": "http://h", "method": method}, false)
		if got := e.RiskFor(p); got != want {
			t.Errorf("risk for %v = %s, want %s", method, got, want)
		}
	}
	p, _ := e.Validate(map[string]any{"url": "http://h"}, false)
	if got := e.RiskFor(p); got != ops.RiskRead {
		t.Errorf("default method risk = %s", got)
	}
}

// TestDialPolicyUnspecifiedAddress checks that a URL naming 0.0.0.0 or
// [::], which reach the local host, is seen by the policy as loopback.
func TestDialPolicyUnspecifiedAddress(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	r := newRegistry(t)
	for _, host := range []string{"0.0.0.0", "[::]", "[::ffff:0.0.0.0]"} {
		url := "http://" + host + ":" + port + "/"
		out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": url})
		if err != nil || out["body"] != "ok" {
			t.Fatalf("%s without a policy: %v %v; the address should reach the test server", url, out, err)
		}
		calls := make(chan string, 10)
		ctx := ops.WithCall(context.Background(), &ops.Call{Scope: denyLoopback{calls}})
		_, err = opstest.Execute(r, ctx, "http.request", map[string]any{"url": url})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
			t.Errorf("%s: %v (class %s), want the loopback denial", url, err, ops.ClassOf(err))
		}
	}
}
