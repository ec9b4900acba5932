package runs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestAimedInputIntoAnUnreadSubPlaybook: a sub-playbook whose path is an
// expression is read only when its step runs, so the check cannot tell
// where an input passed to it leads, nor which secrets it holds. A free
// input the caller sets and passes to it (or that an inputs: expression
// carries, even to a sub-playbook named literally) is refused at the
// step that runs it, as is a free input used as an address beside it;
// the server the caller chose receives nothing. Left at its default, or
// bounded, it is not refused.
func TestAimedInputIntoAnUnreadSubPlaybook(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	m := newManager(t, Config{}, Limits{})
	env := MapEnv{"HOOK_TOKEN": "hunter2"}
	api := Caller{Roles: []string{auth.RoleAdmin}, Name: "ops-key", Trigger: TriggerAPI}
	child := `version: 1
name: child
inputs:
  url: {type: string, default: "` + srv.URL + `"}
steps:
  - id: call
    op: http.request
    with:
      url: "${{ inputs.url }}"
      headers: {Authorization: "Bearer ${{ env.HOOK_TOKEN }}"}
`
	head := `version: 1
name: fwd
inputs:
  url: {type: string, default: "` + srv.URL + `"RULE}
vars:
  child: child.yaml
steps:
`
	byExpr := `  - {id: fwd, op: playbook.run, with: {path: "${{ vars.child }}", inputs: {url: "${{ inputs.url }}"}}}` + "\n"
	inputsExpr := `  - {id: fwd, op: playbook.run, with: {path: child.yaml, inputs: "${{ {'url': inputs.url} }}"}}` + "\n"
	beside := `  - {id: fwd, op: playbook.run, with: {path: "${{ vars.child }}"}}
  - {id: ping, op: http.request, with: {url: "${{ inputs.url }}"}}
`
	other := map[string]any{"url": srv.URL + "/elsewhere"}
	for _, tc := range []struct {
		name, rule, steps string
		inputs            map[string]any
		want              string // the step denied; "" when allowed
		says              []string
	}{
		{"passed to a path expression", "", byExpr, other, "fwd", []string{
			"input url, set by the caller to a value no enum or pattern bounds, is passed to a sub-playbook whose path is an expression, read only when its step runs, so where it leads cannot be told (step fwd, ",
			"the run holds whatever secrets the sub-playbook of step fwd holds (its path is an expression, "}},
		{"carried by an inputs expression", "", inputsExpr, other, "fwd", []string{
			"is passed to a sub-playbook whose inputs are an expression, so where it leads cannot be told (step fwd, ",
			"the run holds the value of env.HOOK_TOKEN (read at "}},
		{"used beside a path expression", "", beside, other, "ping", []string{
			"is the address http.request's url connects to (step ping, ",
			"the run holds whatever secrets the sub-playbook of step fwd holds"}},
		{"the default", "", byExpr, map[string]any{"url": srv.URL}, "", nil},
		{"a pattern", `, pattern: "^http://127\\.0\\.0\\.1:[0-9]+$"`, byExpr, other, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			text := strings.Replace(head, "RULE", tc.rule, 1) + tc.steps
			for name, text := range map[string]string{"pb.yaml": text, "child.yaml": child} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			pb, err := steps.Load(filepath.Join(dir, "pb.yaml"), m.Service().Registry())
			if err != nil {
				t.Fatal(err)
			}
			req := Request{Playbook: pb, Inputs: tc.inputs, Caller: api, Env: env}
			check, err := m.Service().Check(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			denied := auth.Denied(check.Steps)
			if tc.want == "" {
				if len(denied) > 0 {
					t.Fatalf("step %s denied: %s; want it allowed", denied[0].Step, denied[0].Decision.Rule)
				}
				return
			}
			if len(denied) != 1 || denied[0].Step != tc.want {
				t.Fatalf("denied %+v; want step %s denied", denied, tc.want)
			}
			for _, s := range tc.says {
				if !strings.Contains(denied[0].Decision.Rule, s) {
					t.Errorf("rule %q\nlacks %q", denied[0].Decision.Rule, s)
				}
			}
			got.Store("")
			h, err := m.Start(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			rep := wait(t, h)
			if v, _ := got.Load().(string); v != "" {
				t.Errorf("the server was sent %q", v)
			}
			if rep.Error == nil || rep.Error.Class != "authorization" {
				t.Fatalf("the run ended %s, %+v; want an authorization failure", rep.Status, rep.Error)
			}
		})
	}
}
