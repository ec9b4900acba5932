package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A path with an empty segment, "." or ".." is answered in the API's
// JSON error shape naming the clean path, never redirected (a POST
// followed there could run twice), and counted in /metrics as a path
// no route serves.
func TestUncleanPathIsJSON404(t *testing.T) {
	ts := newTestServer(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct{ method, path, want string }{
		{"POST", "/api/v1//playbooks/hello/runs", "send POST /api/v1/playbooks/hello/runs"},
		{"GET", "/api/v1/./runs", "send GET /api/v1/runs"},
		{"GET", "/api/v1/runs/x/../../runs", "send GET /api/v1/runs"},
		{"GET", "//metrics", "send GET /metrics"},
		{"GET", "/api/v1//nope", "no endpoint serves GET /api/v1/nope either"},
	} {
		var body *strings.Reader
		if c.method == "POST" {
			body = strings.NewReader(`{}`)
		} else {
			body = strings.NewReader("")
		}
		hr, _ := http.NewRequest(c.method, ts.url+c.path, body)
		hr.Header.Set("Authorization", "Bearer "+ts.keys["operator"])
		if c.method == "POST" {
			hr.Header.Set("Content-Type", "application/json")
		}
		res, err := noFollow.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r := &resp{status: res.StatusCode, header: res.Header, body: data}
		e := r.wantError(t, 404, ClassNotFound)
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
		if msg, _ := e["message"].(string); !strings.Contains(msg, c.want) {
			t.Errorf("%s %s: %q; want it to say %q", c.method, c.path, msg, c.want)
		}
	}
	m := ts.get("operator", "/metrics").want(t, 200)
	if want := `arsenal_http_requests_total{code="404",route="other"}`; !strings.Contains(string(m.body), want) {
		t.Errorf("/metrics has no %s:\n%s", want, m.body)
	}
}
