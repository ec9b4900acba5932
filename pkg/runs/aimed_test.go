package runs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
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
			if v, _ := got.Load().(string); v != "" {
				t.Errorf("the server was sent %q", v)
			}
			if rep.Error == nil || rep.Error.Class != "authorization" {
				t.Fatalf("the run ended %s, %+v; want an authorization failure", rep.Status, rep.Error)
			}
		})
	}
}

// TestAPICallerMayNotAimTheServersOtherSecrets: the secrets a run holds
// besides its own secret inputs count too: a variable of the server's
// environment an expression reads, an operation's secret output, and the
// secrets of a sub-playbook; and a free input passed down to a
// sub-playbook that connects to it aims it as much as one used in the
// playbook itself. Each run the caller aims is denied before anything
// runs, and the server the caller chose receives nothing; giving the
// secret oneself, the default, or a pattern in the sub-playbook are not
// refused.
func TestAPICallerMayNotAimTheServersOtherSecrets(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	other := srv.URL + "/elsewhere"
	reg := newRegistry(t)
	reg.MustRegister(ops.Spec{Name: "test.vault", Risk: ops.RiskRead, Output: []ops.Field{{Name: "token", Type: "string"}}, SecretOutputs: []string{"token"}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
			return map[string]any{"token": "hunter2"}, nil
		}))
	m := newManager(t, Config{Registry: reg}, Limits{})
	env := MapEnv{"HOOK_TOKEN": "hunter2"}
	api := Caller{Roles: []string{auth.RoleAdmin}, Name: "ops-key", Trigger: TriggerAPI}
	call := func(auth string) string {
		return fmt.Sprintf(`  - id: call
    op: http.request
    with:
      url: "${{ inputs.url }}"
      headers: {Authorization: %q}
`, auth)
	}
	head := func(name, inputs string) string {
		return fmt.Sprintf("version: 1\nname: %s\ninputs:\n  url: {type: string, default: %q}\n%ssteps:\n", name, srv.URL, inputs)
	}
	// child.yaml sends its token, from the server's environment unless
	// its caller passes one, to the url its caller passes.
	child := head("child", "  token: {type: string, secret: true, env: HOOK_TOKEN}\n") + call("Bearer ${{ inputs.token }}")
	bounded := strings.Replace(child, "default: ", `pattern: "^http://127\\.0\\.0\\.1:[0-9]+$", default: `, 1)
	fwd := func(passToken string) string {
		in := ""
		if passToken != "" {
			in = "  token: {type: string, secret: true, env: HOOK_TOKEN}\n"
		}
		return head("fwd", in) + "  - {id: fwd, op: playbook.run, with: {path: child.yaml, inputs: {url: \"${{ inputs.url }}\"" + passToken + "}}}\n"
	}

	for _, tc := range []struct {
		name, text string
		inputs     map[string]any
		denied     []string // in the rule of step want; nil when allowed
		want       string
	}{
		{"env", head("hook", "") + call("Bearer ${{ env.HOOK_TOKEN }}"), map[string]any{"url": other},
			[]string{"is the address http.request's url connects to (step call, ", "the run holds the value of env.HOOK_TOKEN (read at "}, "call"},
		{"a secret output", head("hook", "") + "  - {id: fetch, op: test.vault}\n" + call("Bearer ${{ steps.fetch.output.token }}"), map[string]any{"url": other},
			[]string{"the run holds the secret outputs of step fetch (test.vault, "}, "call"},
		{"a sub-playbook's secret", fwd(""), map[string]any{"url": other},
			[]string{"connects to (passed to child.yaml as its input url) (step call of child.yaml, run by step fwd, ", "child.yaml:", "secret input token of "}, "fwd"},
		{"the playbook's secret, passed down", fwd(", token: \"${{ inputs.token }}\""), map[string]any{"url": other},
			[]string{"(step call of child.yaml, run by step fwd, ", "the run holds secret input token that the caller did not give", "give token yourself"}, "fwd"},
		{"the caller's own token, passed down", fwd(", token: \"${{ inputs.token }}\""), map[string]any{"url": other, "token": "mine"}, nil, ""},
		{"the default, passed down", fwd(""), map[string]any{"url": srv.URL}, nil, ""},
		{"a pattern in the sub-playbook", strings.Replace(fwd(""), "child.yaml", "bounded.yaml", 1), map[string]any{"url": other}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range map[string]string{"pb.yaml": tc.text, "child.yaml": child, "bounded.yaml": bounded} {
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
			if tc.denied == nil {
				if len(denied) > 0 {
					t.Fatalf("step %s denied: %s; want it allowed", denied[0].Step, denied[0].Decision.Rule)
				}
				return
			}
			if len(denied) != 1 || denied[0].Step != tc.want {
				t.Errorf("denied %+v; want step %s denied", denied, tc.want)
			} else {
				for _, s := range tc.denied {
					if !strings.Contains(denied[0].Decision.Rule, s) {
						t.Errorf("rule %q\nlacks %q", denied[0].Decision.Rule, s)
					}
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
