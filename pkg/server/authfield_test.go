package server

import (
	"testing"
)

// A 401 names what carried the credentials that failed (the header, the
// session cookie, the query parameter), and keeps WWW-Authenticate.
func TestUnauthorizedNamesField(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		name  string
		req   request
		field string
	}{
		{"none", request{method: "GET", path: "/api/v1/runs"}, "Authorization"},
		{"malformed", request{method: "GET", path: "/api/v1/runs", header: map[string]string{"Authorization": "Basic eDp5"}}, "Authorization"},
		{"unknown key", request{method: "GET", path: "/api/v1/runs", rawKey: KeyPrefix + "nosuchkeyatall"}, "Authorization"},
		{"bad cookie", request{method: "GET", path: "/api/v1/runs", header: map[string]string{"Cookie": cookieName + "=a.b.c"}}, cookieName},
		{"key in URL", request{method: "GET", path: "/api/v1/runs?token=abc"}, "token"},
	} {
		r := ts.do(c.req)
		e := r.wantError(t, 401, ClassAuthentication)
		if f, _ := e["field"].(string); f != c.field {
			t.Errorf("%s: field %q, want %q: %s", c.name, f, c.field, r.body)
		}
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", c.name)
		}
	}
}
