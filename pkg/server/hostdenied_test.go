package server

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// A caller whose roles deny the supervisor, process or cluster operations
// learns nothing of the host from the endpoints that run them: not the
// supervisor groups there (a 404 naming them, or 403 for a group that is
// and 404 for one that is not), not whether a user name exists (400 for
// one the host does not know), not whether the server has an inventory or
// any group at all. Each is the refusal the operation gives. A caller the
// roles allow still gets those answers.
func TestDeniedCallerLearnsNothingOfTheHost(t *testing.T) {
	ts := newTestServer(t)
	p, err := auth.ParsePolicy("p.yaml", []byte(`version: 1
roles:
  ci:
    inherits: [viewer]
    deny: [supervisor.*, process.*, cluster.*]
`), ts.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.current().State
	st.Policy = p
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, r *resp, op string) {
		t.Helper()
		if r.status != 403 {
			t.Errorf("%s by a caller whose roles deny %s: status %d, want 403: %s", what, op, r.status, r.body)
			return
		}
		e := r.errBody(t)
		if e["class"] != string(ClassAuthorization) || e["rule"] != "role ci: deny "+strings.Split(op, ".")[0]+".*" {
			t.Errorf("%s: %s, want the refusal of role ci's deny", what, r.body)
		}
		if strings.Contains(string(r.body), "billing") {
			t.Errorf("%s names the supervisor group billing to a caller who may not see it: %s", what, r.body)
		}
	}

	// No group yet, and no inventory.
	refused("GET /api/v1/supervisors", ts.get("ci", "/api/v1/supervisors"), "supervisor.children")
	refused("GET /api/v1/cluster/topology", ts.get("ci", "/api/v1/cluster/topology"), "cluster.topology")
	refused("GET /api/v1/cluster/health", ts.get("ci", "/api/v1/cluster/health"), "cluster.health")
	refused("GET /api/v1/processes?user= of no user", ts.get("ci", "/api/v1/processes?user=no-such-user-x7"), "process.list")

	started := ts.post("admin", "/api/v1/processes", map[string]any{"command": []string{"sleep", "300"}, "name": "billing", "restart": "never"}).want(t, 201).json(t)
	killAtEnd(ts, started)
	refused("GET /api/v1/supervisors", ts.get("ci", "/api/v1/supervisors"), "supervisor.children")
	for _, id := range []string{"billing", "nope"} {
		refused("GET children of "+id, ts.get("ci", "/api/v1/supervisors/"+id+"/children"), "supervisor.children")
		refused("POST restart of "+id, ts.post("ci", "/api/v1/supervisors/"+id+"/restart", nil), "supervisor.restart")
	}

	// A caller the roles allow is told what is there.
	e := ts.get("viewer", "/api/v1/supervisors/nope/children").wantError(t, 404, ClassNotFound)
	if !strings.Contains(e["message"].(string), "known: billing") {
		t.Errorf("an unknown group to a caller who may list them: %v", e)
	}
	ts.get("viewer", "/api/v1/processes?user=no-such-user-x7").wantError(t, 400, ClassValidation)
	ts.get("viewer", "/api/v1/cluster/topology").wantError(t, 404, ClassNotFound)
}
