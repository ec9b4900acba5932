package runs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestAimedRunDoesNotCountAConfinedSubPlaybooksEnv: a sub-playbook outside
// the directory tree of the playbook that runs it reads no variable of the
// server's environment (its env holds its own env files' alone), so its
// env.HOOK_TOKEN, or an input's env: HOOK_TOKEN, is no secret the run
// holds: a caller who aims the run's url is not refused for it. The same
// sub-playbook beside the calling playbook reads the server's, and the run
// is refused. So is one it runs in turn, beside it: confined too.
func TestAimedRunDoesNotCountAConfinedSubPlaybooksEnv(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	env := MapEnv{"HOOK_TOKEN": "hunter2"}
	api := Caller{Roles: []string{auth.RoleAdmin}, Name: "ops-key", Trigger: TriggerAPI}
	reads := "version: 1\nname: reads\ninputs:\n  token: {type: string, secret: true, env: HOOK_TOKEN}\n" +
		"steps:\n  - {id: say, op: control.log, with: {message: \"${{ env.HOOK_TOKEN }} ${{ inputs.token }}\"}}\n"
	calls := "version: 1\nname: calls\nsteps:\n  - {id: deeper, op: playbook.run, with: {path: reads.yaml}}\n"
	top := func(sub string) string {
		return "version: 1\nname: top\ninputs:\n  url: {type: string, default: \"http://127.0.0.1:1/\"}\nsteps:\n" +
			"  - {id: call, op: http.request, with: {url: \"${{ inputs.url }}\"}}\n" +
			"  - {id: sub, op: playbook.run, with: {path: " + sub + "}}\n"
	}
	for _, tc := range []struct {
		name, sub string
		denied    bool
	}{
		{"beside it", "reads.yaml", true},
		{"outside its tree", "../shared/reads.yaml", false},
		{"run by one outside its tree", "../shared/calls.yaml", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			books, shared := filepath.Join(dir, "books"), filepath.Join(dir, "shared")
			files := map[string]string{
				filepath.Join(books, "pb.yaml"): top(tc.sub), filepath.Join(books, "reads.yaml"): reads,
				filepath.Join(shared, "reads.yaml"): reads, filepath.Join(shared, "calls.yaml"): calls,
			}
			for p, text := range files {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			pb, err := steps.Load(filepath.Join(books, "pb.yaml"), m.Service().Registry())
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]any{"url": "http://127.0.0.1:2/elsewhere"}
			check, err := m.Service().Check(context.Background(), Request{Playbook: pb, Inputs: in, Caller: api, Env: env})
			if err != nil {
				t.Fatal(err)
			}
			denied := auth.Denied(check.Steps)
			switch {
			case !tc.denied && len(denied) > 0:
				t.Errorf("step %s denied: %s; want it allowed", denied[0].Step, denied[0].Decision.Rule)
			case tc.denied && (len(denied) != 1 || !strings.Contains(denied[0].Decision.Rule, "env.HOOK_TOKEN")):
				t.Errorf("denied %+v; want step call denied for env.HOOK_TOKEN", denied)
			}
			warn := AimWarning(m.Service().Registry(), pb, env)
			if got := warn != ""; got != tc.denied {
				t.Errorf("AimWarning %q; want one: %v", warn, tc.denied)
			}
		})
	}
}
