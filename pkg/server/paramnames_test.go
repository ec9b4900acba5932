package server

import (
	"fmt"
	"strings"
	"testing"
)

// TestRefusedParamIsNamedAsSent: an operation's refusal of a param names
// it, in the field and at the head of the message, as the client sent it:
// params.NAME in an execute's body, operations[i].params.NAME in a batch,
// and the query parameter, path value or body field of an endpoint that
// wraps an operation, never the operation's own "param NAME:".
func TestRefusedParamIsNamedAsSent(t *testing.T) {
	ts := newTestServer(t)
	check := func(what string, e map[string]any, field, head string) {
		t.Helper()
		msg := fmt.Sprint(e["message"])
		if e["field"] != field || !strings.HasPrefix(msg, head) || strings.Contains(msg, "param ") {
			t.Errorf("%s: field %v, message %q; want field %s, message starting %q", what, e["field"], msg, field, head)
		}
	}
	check("execute, before it runs",
		ts.post("operator", "/api/v1/operations/http.request/execute", map[string]any{"params": map[string]any{"url": "notaurl"}}).wantError(t, 400, ClassValidation),
		"params.url", "params.url: has no scheme")
	check("execute, refused as it runs",
		ts.post("operator", "/api/v1/operations/shell.exec/execute", map[string]any{"params": map[string]any{"command": []string{"true"}, "dir": "/nonexistent-dir"}}).wantError(t, 400, ClassValidation),
		"params.dir", "params.dir: working directory /nonexistent-dir")
	check("batch",
		ts.post("operator", "/api/v1/batch", map[string]any{"operations": []any{map[string]any{"op": "shell.exec", "params": map[string]any{"command": 7}}}}).wantError(t, 400, ClassValidation),
		"operations[0].params.command", "operations[0].params.command: want a list")
	check("POST /api/v1/processes body field",
		ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"sleep", "300"}, "restart": "sometimes"}).wantError(t, 400, ClassValidation),
		"restart", "restart: sometimes is not one of")
	check("GET /api/v1/processes query parameter",
		ts.get("viewer", "/api/v1/processes?limit=-5").wantError(t, 400, ClassValidation),
		"limit", "limit: -5 is below the minimum 1")
	// Above any pid_max (at most 2^22), so never a process id.
	check("GET /api/v1/processes/{pid} path value",
		ts.get("viewer", "/api/v1/processes/2147483647").wantError(t, 400, ClassValidation),
		"pid", "pid: 2147483647 is not a process id")
}
