package server

import (
	"fmt"
	"strings"
	"testing"
)

// TestSupervisorStopIsFindable: the API stops a supervisor group only
// through the supervisor.stop operation; a client that looks for it under
// /api/v1/supervisors/{id} is told where it is, and the listing says so.
func TestSupervisorStopIsFindable(t *testing.T) {
	ts := newTestServer(t)
	want := `POST /api/v1/operations/supervisor.stop/execute with {"params": {"supervisor": "workers"}}`
	for _, rq := range []request{
		{method: "DELETE", path: "/api/v1/supervisors/workers", key: "admin"},
		{method: "POST", path: "/api/v1/supervisors/workers/stop", key: "admin"},
	} {
		e := ts.do(rq).wantError(t, 404, ClassNotFound)
		if msg := fmt.Sprint(e["message"]); !strings.Contains(msg, want) {
			t.Errorf("%s %s: %s", rq.method, rq.path, msg)
		}
	}
	e := ts.get("admin", "/api/v1/supervisors/workers/nothing").wantError(t, 404, ClassNotFound)
	if msg := fmt.Sprint(e["message"]); strings.Contains(msg, "supervisor.stop") {
		t.Errorf("a path that is no stop hints at one: %s", msg)
	}
	doc := string(ts.get("viewer", "/api/v1/openapi.json").want(t, 200).body)
	if !strings.Contains(doc, "supervisor.stop/execute") {
		t.Error("the OpenAPI document does not say how to stop a supervisor group")
	}
}
