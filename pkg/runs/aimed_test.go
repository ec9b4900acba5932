package runs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// hookPlaybook sends the server's token to the url its caller may set;
// def is the url input's default.
func hookPlaybook(def, urlRule, via string) string {
	url := "${{ inputs.url }}"
	vars := ""
	if via != "" {
		vars = "vars:\n  target: \"${{ inputs.url }}\"\n"
		url = "${{ vars.target }}"
	}
	return fmt.Sprintf(`version: 1
name: hook
inputs:
  url: {type: string, default: %q%s}
  token: {type: string, secret: true, env: HOOK_TOKEN}
%ssteps:
  - id: call
    op: http.request
    with:
      url: %q
      headers: {Authorization: "Bearer ${{ inputs.token }}"}
`, def, urlRule, vars, url)
}

// TestAPICallerMayNotAimTheServersSecret: a caller of the API who sets a
// free url input of a served playbook does not get the server's secret
// token sent there: the step is denied before anything runs, naming the
// input, where it is used and the secret. Giving the secret oneself, the
// default, a pattern on the input, or a run from the command line are not
// refused.
func TestAPICallerMayNotAimTheServersSecret(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	other := srv.URL + "/elsewhere"
	m := newManager(t, Config{}, Limits{})
	env := MapEnv{"HOOK_TOKEN": "hunter2"}
	api := Caller{Roles: []string{auth.RoleOperator}, Name: "ops-key", Trigger: TriggerAPI}
	cli := Caller{Roles: []string{auth.RoleOperator}, Name: "alice", Trigger: TriggerCLI}

	for _, tc := range []struct {
		name, text string
		caller     Caller
		inputs     map[string]any
		denied     string // in the rule; "" when allowed
	}{
		{"free url", hookPlaybook(srv.URL, "", ""), api, map[string]any{"url": other},
			"input url, set by the caller to a value no enum or pattern bounds, is the address http.request's url connects to (step call, "},
		{"through a var", hookPlaybook(srv.URL, "", "vars"), api, map[string]any{"url": other},
			"connects to (through vars.target) (step call, "},
		{"the caller's own token", hookPlaybook(srv.URL, "", ""), api, map[string]any{"url": other, "token": "mine"}, ""},
		{"the default", hookPlaybook(srv.URL, "", ""), api, map[string]any{"url": srv.URL}, ""},
		{"a pattern", hookPlaybook(srv.URL, ", pattern: \"http://127\\\\.0\\\\.0\\\\.1:.*\"", ""), api, map[string]any{"url": other}, ""},
		{"the command line", hookPlaybook(srv.URL, "", ""), cli, map[string]any{"url": other}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pb, err := steps.Load(writePlaybook(t, tc.text), m.Service().Registry())
			if err != nil {
				t.Fatal(err)
			}
			check, err := m.Service().Check(context.Background(), Request{Playbook: pb, Inputs: tc.inputs, Caller: tc.caller, Env: env})
			if err != nil {
				t.Fatal(err)
			}
			denied := auth.Denied(check.Steps)
			if tc.denied == "" {
				if len(denied) > 0 {
					t.Fatalf("step %s denied: %s; want it allowed", denied[0].Step, denied[0].Decision.Rule)
				}
				return
			}
			if len(denied) != 1 || denied[0].Step != "call" || !strings.Contains(denied[0].Decision.Rule, tc.denied) ||
				!strings.Contains(denied[0].Decision.Rule, "the run holds secret input token that the caller did not give") {
				t.Fatalf("denied %+v; want step call denied with %q and the secret named", denied, tc.denied)
			}
			got.Store("")
			h, err := m.Start(context.Background(), Request{Playbook: pb, Inputs: tc.inputs, Caller: tc.caller, Env: env})
			if err != nil {
				t.Fatal(err)
			}
			rep := wait(t, h)
			if rep.Error == nil || rep.Error.Class != "authorization" {
				t.Fatalf("the run ended %s, %+v; want an authorization failure", rep.Status, rep.Error)
			}
			if v, _ := got.Load().(string); v != "" {
				t.Fatalf("the server was sent %q", v)
			}
		})
	}
}
