package runs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestAimWarningFollowsSubPlaybooks: a playbook that passes a free input
// down to a sub-playbook that connects to it, while the sub-playbook
// holds a secret of the server's, is warned of at the value that passes
// it down, naming the address in the sub-playbook; bounded by a pattern,
// or without the secret in the environment, it is not.
func TestAimWarningFollowsSubPlaybooks(t *testing.T) {
	reg := newRegistry(t)
	child := `version: 1
name: child
inputs:
  url: {type: string, default: "http://127.0.0.1:1/"}
  token: {type: string, secret: true, env: HOOK_TOKEN}
steps:
  - id: call
    op: http.request
    with:
      url: "${{ inputs.url }}"
      headers: {Authorization: "Bearer ${{ inputs.token }}"}
`
	parent := `version: 1
name: parent
inputs:
  url: {type: string, default: "http://127.0.0.1:1/"%s}
steps:
  - {id: fwd, op: playbook.run, with: {path: child.yaml, inputs: {url: "${{ inputs.url }}"}}}
`
	for _, tc := range []struct {
		name, rule string
		env        MapEnv
		want       string // "" for no warning
	}{
		{"free", "", MapEnv{"HOOK_TOKEN": "hunter2"},
			"parent.yaml:6:72: playbook parent: input url, which an API caller may set to any value, is the address http.request's url connects to (passed to child.yaml as its input url) (step call of child.yaml, run by step fwd, " +
				filepath.Join("DIR", "child.yaml") + ":10:12), while its runs hold secret input token of " + filepath.Join("DIR", "child.yaml") + " (" + filepath.Join("DIR", "child.yaml") + ":5:3); "},
		{"bounded", `, pattern: "^http://127\\.0\\.0\\.1:.*"`, MapEnv{"HOOK_TOKEN": "hunter2"}, ""},
		{"no secret", "", MapEnv{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range map[string]string{"parent.yaml": strings.Replace(parent, "%s", tc.rule, 1), "child.yaml": child} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			pb, err := steps.Load(filepath.Join(dir, "parent.yaml"), reg)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(AimWarning(reg, pb, tc.env), dir, "DIR")
			if tc.want == "" && got != "" || !strings.Contains(got, strings.ReplaceAll(tc.want, "DIR/parent.yaml", "parent.yaml")) {
				t.Errorf("warning %q\nwant one with %q", got, tc.want)
			}
		})
	}
}
