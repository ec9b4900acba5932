package server

import (
	"strings"
	"testing"
)

// TestBodylessRouteRefusesABody: a request with a body to an endpoint that
// takes none (cancel, pause, a supervisor's restart, DELETE) is refused,
// naming the field it would have ignored, rather than done as though the
// body (a reason, say) had been read; no body, an empty one and {} still
// go through.
func TestBodylessRouteRefusesABody(t *testing.T) {
	ts := newTestServer(t)
	for _, body := range []string{`{"reason": "stuck"}`, `{"x": 1, "reason": "stuck"}`} {
		id := startedRunID(t, ts)
		e := ts.post("admin", "/api/v1/runs/"+id+"/cancel", body).wantError(t, 400, ClassValidation)
		msg, _ := e["message"].(string)
		if e["field"] == nil || !strings.Contains(msg, "takes no body") {
			t.Errorf("cancel with %s: %v", body, e)
		}
		// Nothing was done: the run still goes on, and cancels.
		ts.post("admin", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
	}
	id := startedRunID(t, ts)
	e := ts.do(request{method: "POST", path: "/api/v1/runs/" + id + "/cancel", key: "admin", body: "please", contentType: "text/plain"}).wantError(t, 400, ClassValidation)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "takes no body") {
		t.Errorf("cancel with a text body: %v", e)
	}
	ts.post("admin", "/api/v1/runs/"+id+"/cancel", "{}").want(t, 202)
	id = startedRunID(t, ts)
	ts.post("admin", "/api/v1/runs/"+id+"/cancel", " \n").want(t, 202)

	e = ts.do(request{method: "DELETE", path: "/api/v1/processes/999999999", key: "admin", body: `{"signal": "KILL"}`}).wantError(t, 400, ClassValidation)
	if e["field"] != "signal" {
		t.Errorf("DELETE with a body: %v", e)
	}
}

// startedRunID starts the sleeper playbook as admin and returns its id.
func startedRunID(t *testing.T, ts *testServer) string {
	t.Helper()
	id, _ := ts.post("admin", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	return id
}

// TestBodylessRouteRefusesAHugeBody: a body far over the limit sent to a
// route that takes none is refused for what it starts with, unread past
// that.
func TestBodylessRouteRefusesAHugeBody(t *testing.T) {
	ts := newTestServer(t)
	id := startedRunID(t, ts)
	body := `{"reason": "` + strings.Repeat("x", 2<<20) + `"}`
	e := ts.post("admin", "/api/v1/runs/"+id+"/cancel", body).wantError(t, 400, ClassValidation)
	if e["field"] != "reason" {
		t.Errorf("cancel with a huge body: %v", e)
	}
	body = strings.Repeat(" ", 2<<20) + "{}"
	ts.post("admin", "/api/v1/runs/"+id+"/cancel", body).wantError(t, 400, ClassValidation)
}
