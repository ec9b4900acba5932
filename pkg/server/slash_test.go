package server

import (
	"strings"
	"testing"
)

// A path with a trailing slash has no route; the answer says which path
// does, for the client that wrote one.
func TestTrailingSlashHint(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/api/v1/runs/", "drop the trailing slash: GET /api/v1/runs"},
		{"POST", "/api/v1/playbooks/hello/runs/", "drop the trailing slash: POST /api/v1/playbooks/hello/runs"},
		{"DELETE", "/api/v1/session/", "drop the trailing slash: DELETE /api/v1/session"},
	} {
		r := ts.do(request{method: c.method, path: c.path, key: "operator"})
		e := r.wantError(t, 404, ClassNotFound)
		if !strings.Contains(e["message"].(string), c.want) {
			t.Errorf("%s %s: %q; want it to say %q", c.method, c.path, e["message"], c.want)
		}
	}
	// A path no route has with or without the slash keeps the usual hint.
	e := ts.get("operator", "/api/v1/nope/").wantError(t, 404, ClassNotFound)
	if !strings.Contains(e["message"].(string), "openapi.json") {
		t.Errorf("%q; want the usual hint", e["message"])
	}
}
