package server

import (
	"fmt"
	"strings"
	"testing"
)

// TestQueryAPairCannotReadIsRefused: a query pair with a ';' or a '%'
// that starts no escape is refused naming it, not left out: a DELETE
// whose started_at was so written signalled whatever process had the pid,
// and a list lost its filter.
func TestQueryAPairCannotReadIsRefused(t *testing.T) {
	ts := newTestServer(t)
	started := ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"sleep", "300"}, "restart": "never"}).want(t, 201).json(t)
	pid := int(started["pid"].(float64))
	at := started["started_at"].(string)
	path := fmt.Sprintf("/api/v1/processes/%d", pid)
	for _, q := range []string{"?started_at=2020-01-01T00:00:00Z%", "?started_at=2020-01-01T00:00:00Z;signal=KILL", "?signal=KILL&started_at=%zz"} {
		e := ts.do(request{method: "DELETE", path: path + q, key: "admin"}).wantError(t, 400, ClassValidation)
		msg, _ := e["message"].(string)
		if e["field"] != "started_at" || !strings.Contains(msg, "write a") {
			t.Errorf("DELETE %s: %v", q, e)
		}
	}
	ts.get("viewer", path).want(t, 200) // not signalled
	for q, field := range map[string]string{"?status=failed;limit=1": "status", "?limit=1&status=fail%zzed": "status", "?li%mit=1": "li%mit"} {
		if e := ts.get("viewer", "/api/v1/runs"+q).wantError(t, 400, ClassValidation); e["field"] != field {
			t.Errorf("GET /api/v1/runs%s: %v", q, e)
		}
	}
	ts.get("", "/healthz?a=%").wantError(t, 400, ClassValidation)
	// A key in such a pair is still a key in the URL.
	ts.get("", "/api/v1/runs?limit=1;key="+ts.keys["viewer"]).wantError(t, 401, ClassAuthentication)
	// Escaped, both are values like any other.
	ts.get("viewer", "/api/v1/runs?playbook=a%3Bb%25").want(t, 200)
	ts.do(request{method: "DELETE", path: path + "?started_at=" + at, key: "admin"}).want(t, 200)
}

// TestQueryParameterGivenTwiceIsRefused: a parameter given twice is 400
// naming it, rather than the first value alone filtering in silence.
func TestQueryParameterGivenTwiceIsRefused(t *testing.T) {
	ts := newTestServer(t)
	for _, q := range []string{"/api/v1/runs?status=failed&status=cancelled", "/api/v1/runs?limit=5&limit=10", "/api/v1/stats/operations?range=1h&range=24h"} {
		e := ts.get("viewer", q).wantError(t, 400, ClassValidation)
		msg, _ := e["message"].(string)
		if !strings.Contains(msg, "give it once") || (e["field"] != "status" && e["field"] != "limit" && e["field"] != "range") {
			t.Errorf("GET %s: %v", q, e)
		}
	}
	ts.get("viewer", "/api/v1/runs?status=failed&limit=5").want(t, 200)
}
