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

// aimedFwd writes fwd.yaml, which passes its free url input to
// child.yaml, and child.yaml (bounded or not), and loads fwd.yaml.
func aimedFwd(t testing.TB, m *Manager, dir string, bounded bool) *steps.Playbook {
	t.Helper()
	writeAimedChild(t, dir, bounded)
	fwd := `version: 1
name: fwd
inputs:
  url: {type: string, default: "http://127.0.0.1:1/"}
steps:
  - {id: fwd, op: playbook.run, with: {path: child.yaml, inputs: {url: "${{ inputs.url }}"}}}
`
	if err := os.WriteFile(filepath.Join(dir, "fwd.yaml"), []byte(fwd), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Load(filepath.Join(dir, "fwd.yaml"), m.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// writeAimedChild writes child.yaml, which sends the server's token to
// its url input; bounded gives that input a pattern.
func writeAimedChild(t testing.TB, dir string, bounded bool) {
	t.Helper()
	rule := ""
	if bounded {
		rule = `, pattern: "^http://127\\.0\\.0\\.1:1/$"`
	}
	child := `version: 1
name: child
inputs:
  url: {type: string, default: "http://127.0.0.1:1/"` + rule + `}
steps:
  - id: call
    op: http.request
    with:
      url: "${{ inputs.url }}"
      headers: {Authorization: "Bearer ${{ env.HOOK_TOKEN }}"}
`
	if err := os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(child), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAimedCheckSeesAChangedSubPlaybook: the check of a loaded playbook
// reads its sub-playbooks as they are when a run is checked: one whose
// bound is taken away after the playbook loaded is refused at the next
// check, one bounded again is allowed, and one that goes away is refused
// as unread, with no reload between.
func TestAimedCheckSeesAChangedSubPlaybook(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	dir := t.TempDir()
	pb := aimedFwd(t, m, dir, true)
	req := Request{Playbook: pb, Inputs: map[string]any{"url": "http://127.0.0.1:2/"}, Env: MapEnv{"HOOK_TOKEN": "hunter2"},
		Caller: Caller{Roles: []string{auth.RoleAdmin}, Name: "ops-key", Trigger: TriggerAPI}}
	for i, step := range []struct {
		change func()
		denied string // in the rule; "" when allowed
	}{
		{func() {}, ""},
		{func() { writeAimedChild(t, dir, false) }, "(step call of child.yaml, run by step fwd, "},
		{func() { writeAimedChild(t, dir, true) }, ""},
		{func() { os.Remove(filepath.Join(dir, "child.yaml")) }, "is passed to a sub-playbook that does not read as a playbook now"},
		{func() { writeAimedChild(t, dir, true) }, ""},
	} {
		step.change()
		for range 2 { // the second from what the first kept
			check, err := m.Service().Check(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			denied := auth.Denied(check.Steps)
			switch {
			case step.denied == "" && len(denied) > 0:
				t.Fatalf("check %d: step %s denied: %s; want it allowed", i, denied[0].Step, denied[0].Decision.Rule)
			case step.denied != "" && (len(denied) != 1 || !strings.Contains(denied[0].Decision.Rule, step.denied)):
				t.Fatalf("check %d: denied %+v; want step fwd denied with %q", i, denied, step.denied)
			}
		}
	}
}

// TestAimedCheckKeepsWhatItRead: checking a run of a playbook whose
// sub-playbooks have not changed reads their files again, but parses
// nothing: a few allocations, where parsing them takes thousands.
func TestAimedCheckKeepsWhatItRead(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	pb := aimedFwd(t, m, t.TempDir(), false)
	s := m.Service()
	if a := s.aimedInputs(pb); a.stale || a.Uses["url"].Step != "fwd" {
		t.Fatalf("aimed %+v; want url aimed through step fwd", a)
	}
	n := testing.AllocsPerRun(20, func() { s.aimedInputs(pb) })
	t.Logf("%.0f allocations a check", n)
	if n > 40 {
		t.Errorf("a check of an unchanged playbook allocates %.0f times; want at most 40 (its sub-playbooks read again, not parsed)", n)
	}
}
