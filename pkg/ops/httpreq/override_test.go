package httpreq

import (
	"strings"
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

// TestMethodOverrideQuerySetsTheRisk checks that a _method query
// parameter (Rails, Laravel and Express's method-override read it), in
// the url or in the query param, makes a GET that asks for DELETE a
// write, as the override headers do; it was a read, so a viewer and a dry
// run sent it.
func TestMethodOverrideQuerySetsTheRisk(t *testing.T) {
	r := newRegistry(t)
	e, err := r.Get("http.request")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		url   string
		query any
		final bool
		risk  ops.Risk
	}{
		{"in url", "http://127.0.0.1/x?_method=DELETE", nil, true, ops.RiskWrite},
		{"in url after another", "http://127.0.0.1/x?page=2&_method=put", nil, true, ops.RiskWrite},
		{"in url after ;", "http://127.0.0.1/x?page=2;_METHOD=patch", nil, true, ops.RiskWrite},
		{"escaped in url", "http://127.0.0.1/x?%5Fmethod=DEL%45TE", nil, true, ops.RiskWrite},
		{"GET in url", "http://127.0.0.1/x?_method=GET", nil, true, ops.RiskRead},
		{"other name in url", "http://127.0.0.1/x?method=DELETE", nil, true, ops.RiskRead},
		{"in query", "http://127.0.0.1/x", map[string]any{"_method": "DELETE"}, true, ops.RiskWrite},
		{"in query list", "http://127.0.0.1/x", map[string]any{"_method": []any{"GET", "DELETE"}}, true, ops.RiskWrite},
		{"HEAD in query", "http://127.0.0.1/x", map[string]any{"_method": "HEAD"}, true, ops.RiskRead},
		{"other query computed", "http://127.0.0.1/x", map[string]any{"page": ops.Deferred}, false, ops.RiskRead},
		{"override computed", "http://127.0.0.1/x", map[string]any{"_method": ops.Deferred}, false, ops.RiskWrite},
		{"query computed", "http://127.0.0.1/x", ops.Deferred, false, ops.RiskWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := map[string]any{"url": tc.url, "method": "GET"}
			if tc.query != nil {
				raw["query"] = tc.query
			}
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

// TestRiskReasonNamesTheOverride checks that a GET made a write by an
// override says which header or parameter did it and what to change, so
// that a role refused it is not left to guess; a plain write says nothing
// more than its method.
func TestRiskReasonNamesTheOverride(t *testing.T) {
	r := newRegistry(t)
	e, err := r.Get("http.request")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		raw  map[string]any
		want []string
	}{
		{"header", map[string]any{"url": "http://127.0.0.1/x", "headers": map[string]any{"X-Method-Override": "delete"}},
			[]string{"header X-Method-Override asks the server for DELETE", "leave it out to send a plain GET"}},
		{"url", map[string]any{"url": "http://127.0.0.1/x?_method=PUT", "method": "HEAD"},
			[]string{"url's query parameter _method asks the server for PUT", "plain HEAD"}},
		{"query", map[string]any{"url": "http://127.0.0.1/x", "query": map[string]any{"_method": "PATCH"}},
			[]string{"query parameter _method asks the server for PATCH"}},
		{"computed header", map[string]any{"url": "http://127.0.0.1/x", "headers": map[string]any{"X-HTTP-Method": ops.Deferred}},
			[]string{"header X-HTTP-Method is computed when the step runs", "write it literally"}},
		{"computed headers", map[string]any{"url": "http://127.0.0.1/x", "headers": ops.Deferred},
			[]string{"whole headers map is computed", "write the map's keys out"}},
		{"body", map[string]any{"url": "http://127.0.0.1/x", "body": "{}"},
			[]string{"makes it a POST", "set method: GET"}},
		{"plain DELETE", map[string]any{"url": "http://127.0.0.1/x?_method=PUT", "method": "DELETE"}, nil},
		{"plain GET", map[string]any{"url": "http://127.0.0.1/x"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := e.Validate(tc.raw, false)
			if err != nil {
				t.Fatal(err)
			}
			got := e.RiskReason(p)
			if tc.want == nil && got != "" {
				t.Errorf("reason = %q, want none", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("reason = %q, want it to hold %q", got, w)
				}
			}
		})
	}
}
