package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// killAtEnd kills a process POST /api/v1/processes started once the test
// ends, by its pid and started_at: a supervisor that closes leaves its
// processes running, as serve does when it stops.
func killAtEnd(ts *testServer, started map[string]any) {
	ts.t.Cleanup(func() {
		path := fmt.Sprintf("/api/v1/processes/%d?signal=KILL&started_at=%s", int(started["pid"].(float64)), url.QueryEscape(fmt.Sprint(started["started_at"])))
		ts.do(request{method: "DELETE", path: path, key: "admin"})
	})
}

// A pid names a process only while it runs: POST answers the started_at
// that DELETE takes, and DELETE with it signals only the process that
// started then, never one that has taken the pid since.
func TestDeleteProcessGuardsPidReuse(t *testing.T) {
	ts := newTestServer(t)
	started := ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"sleep", "300"}, "name": "guarded", "restart": "never"}).want(t, 201).json(t)
	pid := int(started["pid"].(float64))
	killAtEnd(ts, started)
	at, _ := started["started_at"].(string)
	if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
		t.Fatalf("POST answers started_at %q: %v", started["started_at"], err)
	}
	info := ts.get("viewer", fmt.Sprintf("/api/v1/processes/%d", pid)).want(t, 200).json(t)
	if info["started_at"] != at {
		t.Errorf("GET answers started_at %v, POST %v", info["started_at"], at)
	}
	del := func(q string) *resp {
		return ts.do(request{method: "DELETE", path: fmt.Sprintf("/api/v1/processes/%d?%s", pid, q), key: "admin"})
	}

	// The pid as another process would have it: started at another time.
	t0, _ := time.Parse(time.RFC3339Nano, at)
	other := t0.Add(-time.Second).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	e := del("started_at="+url.QueryEscape(other)).wantError(t, 409, ClassConflict)
	msg := fmt.Sprint(e["message"])
	if !strings.Contains(msg, fmt.Sprintf("pid %d is now another process", pid)) || !strings.Contains(msg, "nothing was signalled") {
		t.Errorf("409 message: %s", msg)
	}
	del("signal=KILL&started_at="+url.QueryEscape(other)).wantError(t, 409, ClassConflict)
	ts.get("viewer", fmt.Sprintf("/api/v1/processes/%d", pid)).want(t, 200) // not signalled

	e = del("started_at=yesterday").wantError(t, 400, ClassValidation)
	if e["field"] != "started_at" || !strings.Contains(fmt.Sprint(e["message"]), "RFC 3339") {
		t.Errorf("malformed started_at: %v", e)
	}

	killed := del("signal=KILL&started_at="+url.QueryEscape(at)).want(t, 200).json(t)
	if !cmp.Equal(killed["signalled"], []any{float64(pid)}) {
		t.Errorf("signalled %v", killed)
	}
	eventually(t, "the killed process to go", func() bool {
		return ts.get("viewer", fmt.Sprintf("/api/v1/processes/%d", pid)).status == 404
	})
	del("started_at="+url.QueryEscape(at)).wantError(t, 404, ClassNotFound)
}
