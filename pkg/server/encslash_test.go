package server

import (
	"strings"
	"testing"
)

// A path whose segment holds an encoded slash (%2F) is not the path
// with a slash: the answer says so and names the path to send, rather
// than refusing the method the route does serve.
func TestEncodedSlashInPath(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct{ method, path, want string }{
		{"POST", "/api/v1/runs/abc%2Fcancel", "POST /api/v1/runs/abc/cancel"},
		{"POST", "/api/v1/runs/abc%2fconfirm", "POST /api/v1/runs/abc/confirm"},
		{"GET", "/api/v1/runs/abc%2Fevents", "GET /api/v1/runs/abc/events"},
	} {
		r := ts.do(request{method: c.method, path: c.path, key: "operator"})
		e := r.wantError(t, 404, ClassNotFound)
		msg := e["message"].(string)
		if !strings.Contains(msg, "%2F") || !strings.Contains(msg, "send "+c.want) {
			t.Errorf("%s %s: %q; want it to name the encoded slash and say send %s", c.method, c.path, msg, c.want)
		}
		if r.header.Get("Allow") != "" {
			t.Errorf("%s %s: Allow %q; the method is not what is wrong", c.method, c.path, r.header.Get("Allow"))
		}
	}
	// A run id is never written with a slash; GET of one with %2F that no
	// route serves decoded either stays the usual not found.
	r := ts.do(request{method: "GET", path: "/api/v1/runs/a%2Fb", key: "operator"})
	e := r.wantError(t, 404, ClassNotFound)
	if strings.Contains(e["message"].(string), "send GET /api/v1/runs/a/b") {
		t.Errorf("%q names a path no route serves", e["message"])
	}
}
