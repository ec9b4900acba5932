package httpreq

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestMethodOverrideHeaderSetsTheRisk checks that a GET, HEAD or OPTIONS
// sent with a method-override header (X-HTTP-Method-Override and its
// kin), which many servers and frameworks obey, is judged by the method it
// asks for: a GET that says DELETE is a write, so a read-only role and a
// dry run never send it. An override or a headers map still to be
// computed counts as a write when the playbook is checked.
func TestMethodOverrideHeaderSetsTheRisk(t *testing.T) {
	r := newRegistry(t)
	e, err := r.Get("http.request")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		method  string
		headers any
		final   bool
		risk    ops.Risk
	}{
		{"override DELETE", "GET", map[string]any{"X-HTTP-Method-Override": "DELETE"}, true, ops.RiskWrite},
		{"lower case name and value", "GET", map[string]any{"x-http-method-override": "delete"}, true, ops.RiskWrite},
		{"X-HTTP-Method", "HEAD", map[string]any{"X-HTTP-Method": "PUT"}, true, ops.RiskWrite},
		{"X-Method-Override", "OPTIONS", map[string]any{"X-Method-Override": " PATCH "}, true, ops.RiskWrite},
		{"override GET", "GET", map[string]any{"X-HTTP-Method-Override": "GET"}, true, ops.RiskRead},
		{"empty override", "GET", map[string]any{"X-HTTP-Method-Override": ""}, true, ops.RiskRead},
		{"other headers", "GET", map[string]any{"Authorization": "Bearer x", "Accept": "application/json"}, true, ops.RiskRead},
		{"other header computed", "GET", map[string]any{"Authorization": ops.Deferred}, false, ops.RiskRead},
		{"override computed", "GET", map[string]any{"X-HTTP-Method-Override": ops.Deferred}, false, ops.RiskWrite},
		{"headers computed", "GET", ops.Deferred, false, ops.RiskWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := map[string]any{"url": "http://127.0.0.1/x", "method": tc.method, "headers": tc.headers}
			p, err := e.Validate(raw, tc.final)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.RiskFor(p); got != tc.risk {
				t.Errorf("risk = %s, want %s", got, tc.risk)
			}
		})
	}
}
