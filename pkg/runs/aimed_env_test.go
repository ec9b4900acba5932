package runs

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestAimedRunHoldsOnlyEnvThatMayBeSecret: of the variables of the run's
// environment an expression reads, those that name the locale, the time
// zone, the terminal or where programs and files are (LANG, LC_*, TZ,
// PATH, HOME, ...) are no secret: a caller who aims a run that reads only
// those is not refused. Any other variable counts, and so does env read
// whole or by a name the text does not fix (env[inputs.name], which the
// caller could point at any variable): those runs stay refused.
func TestAimedRunHoldsOnlyEnvThatMayBeSecret(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	env := MapEnv{"LANG": "C.UTF-8", "LC_ALL": "C", "TZ": "UTC", "PATH": "/usr/bin", "HOOK_TOKEN": "hunter2"}
	plain := MapEnv{"LANG": "C.UTF-8", "TZ": "UTC"}
	api := Caller{Roles: []string{auth.RoleOperator}, Name: "ops-key", Trigger: TriggerAPI}
	hook := func(header string) string {
		return fmt.Sprintf(`version: 1
name: hook
inputs:
  url: {type: string, default: "http://127.0.0.1:1/"}
  name: {type: string, default: "LANG"}
steps:
  - id: call
    op: http.request
    with:
      url: "${{ inputs.url }}"
      headers: {X-Lang: %q}
`, header)
	}
	for _, tc := range []struct {
		name, header string
		env          MapEnv
		denied       string // in the rule; "" when allowed
	}{
		{"LANG", "${{ env.LANG }}", env, ""},
		{"LANG indexed", `${{ env["LANG"] }}`, env, ""},
		{"a locale and the time zone", "${{ env.LC_ALL }} ${{ env.TZ }} ${{ env.PATH }}", env, ""},
		{"LANG and a token", "${{ env.LANG }} ${{ env.HOOK_TOKEN }}", env, "the run holds the value of env.HOOK_TOKEN (read at "},
		{"a token by a computed name", "${{ env[inputs.name] }}", env, "the run holds the whole environment (env, read at "},
		{"a token by a computed index", `${{ env["HOOK_" + "TOKEN"] }}`, env, "the run holds the whole environment (env, read at "},
		{"a token through a closure", `${{ map(["HOOK_TOKEN"], env[#]) }}`, env, "the run holds the whole environment (env, read at "},
		{"env whole", "${{ toJSON(env) }}", env, "the run holds the whole environment (env, read at "},
		{"env whole, only the locale set", "${{ toJSON(env) }}", plain, ""},
		{"a computed name, only the locale set", "${{ env[inputs.name] }}", plain, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pb, err := steps.Load(writePlaybook(t, hook(tc.header)), m.Service().Registry())
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]any{"url": "http://127.0.0.1:2/elsewhere", "name": "HOOK_TOKEN"}
			check, err := m.Service().Check(context.Background(), Request{Playbook: pb, Inputs: in, Caller: api, Env: tc.env})
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
			if len(denied) != 1 || denied[0].Step != "call" || !strings.Contains(denied[0].Decision.Rule, tc.denied) {
				t.Fatalf("denied %+v; want step call denied with %q", denied, tc.denied)
			}
			if strings.Contains(denied[0].Decision.Rule, "env.LANG") {
				t.Errorf("the rule counts env.LANG as a secret: %s", denied[0].Decision.Rule)
			}
		})
	}
}
