package server

import (
	"strings"
	"testing"
)

// A run id copied short (a terminal, a chat message, the console's column
// cut it) or with a character mistyped is what an operator sends during
// an incident: the 404 names the runs it is the start of, or the run it
// is likely a typo of, and says to give the whole id, on every endpoint
// of a run, rather than answering a bare "no run".
func TestNoRunNamesTheRunsItStarts(t *testing.T) {
	ts := newTestServer(t)
	id := ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200).json(t)["run_id"].(string)
	const give = "give the whole run id, as GET /api/v1/runs lists it"
	typo := id[:len(id)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", id[len(id)-1])+1)%16])
	for _, c := range []struct {
		method, path, want string
	}{
		{"GET", "/api/v1/runs/" + id[:20], "it is the start of run " + id},
		{"POST", "/api/v1/runs/" + id[:20] + "/cancel", "it is the start of run " + id},
		{"GET", "/api/v1/runs/" + id[:20] + "/events", "it is the start of run " + id},
		{"GET", "/api/v1/runs/" + id[:20] + "/questions", "it is the start of run " + id},
		{"GET", "/api/v1/runs/" + id[:8], "it is the start of run " + id},
		{"GET", "/api/v1/runs/" + typo, `did you mean "` + id + `"?`},
		{"GET", "/api/v1/runs/nothing-like-it", "no run \"nothing-like-it\"; " + give},
	} {
		r := ts.do(request{method: c.method, path: c.path, key: "operator"})
		e := r.wantError(t, 404, ClassNotFound)
		msg, _ := e["message"].(string)
		if !strings.Contains(msg, c.want) || !strings.HasSuffix(msg, give) {
			t.Errorf("%s %s: %q; want it to say %q and end %q", c.method, c.path, msg, c.want, give)
		}
	}
	other := ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200).json(t)["run_id"].(string)
	msg, _ := ts.get("operator", "/api/v1/runs/"+id[:8]).wantError(t, 404, ClassNotFound)["message"].(string)
	if !strings.Contains(msg, "it is the start of several runs' ids, ") || !strings.Contains(msg, id) || !strings.Contains(msg, other) {
		t.Errorf("GET /api/v1/runs/%s: %q; want it to name runs %s and %s", id[:8], msg, id, other)
	}
}
