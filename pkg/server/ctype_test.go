package server

import (
	"strings"
	"testing"
)

// A body sent with the wrong Content-Type or charset is refused naming
// the header, as any other field of the request, and saying what to send.
func TestContentTypeNamesTheHeader(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct{ ct, want string }{
		{"text/plain", "application/json"},
		{"", "application/json"},
		{"application/json; charset=latin1", "UTF-8"},
	} {
		r := ts.do(request{method: "POST", path: "/api/v1/playbooks/hello/runs", key: "operator", body: "{}", contentType: c.ct, header: map[string]string{"Content-Type": c.ct}})
		e := r.wantError(t, 400, ClassValidation)
		if e["field"] != "Content-Type" {
			t.Errorf("Content-Type %q: field %v; want Content-Type", c.ct, e["field"])
		}
		if msg, _ := e["message"].(string); !strings.Contains(msg, c.want) {
			t.Errorf("Content-Type %q: %q; want it to say %s", c.ct, msg, c.want)
		}
	}
}
