package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestServeWarnsOfAimedPlaybooks: serve says at start, in one line naming
// the file, line and column that aims it, that a served playbook lets an
// API caller choose the address its step connects to while its runs hold
// a variable of serve's environment (--env-passthrough) the caller cannot
// see, and what to do; and such a run is refused before the caller's host
// receives anything. A playbook whose input a pattern bounds is not
// warned of.
func TestServeWarnsOfAimedPlaybooks(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	f := newServeFixture(t)
	hook := func(name, rule string) string {
		return fmt.Sprintf(`version: 1
name: %s
inputs:
  url: {type: string, default: %q%s}
steps:
  - id: call
    op: http.request
    with:
      url: "${{ inputs.url }}"
      headers: {Authorization: "Bearer ${{ env.HOOK_TOKEN }}"}
`, name, srv.URL, rule)
	}
	writePlaybook(t, f.playbooks, "hook.yaml", hook("hook", ""))
	writePlaybook(t, f.playbooks, "bounded.yaml", hook("bounded", `, pattern: "^http://127\\.0\\.0\\.1:[0-9]+$"`))
	p := startEnv(t, []string{"HOOK_TOKEN=hunter2"}, "listening on", "serve", "--listen", "127.0.0.1:0", "--keys", f.keys,
		"--playbooks", f.playbooks, "--state-dir", f.state, "--env-passthrough", "HOOK_TOKEN")
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	log := p.stderr.String()
	want := "hook.yaml:9:12: playbook hook: input url, which an API caller may set to any value, is the address http.request's url connects to (step call), while its runs hold the value of env.HOOK_TOKEN (read at "
	if n := strings.Count(log, want); n != 1 {
		t.Errorf("serve's log has %d lines with %q; want 1:\n%s", n, want, log)
	}
	for _, s := range []string{"bound url in the playbook with an enum or a pattern"} {
		if !strings.Contains(log, s) {
			t.Errorf("serve's log lacks %q:\n%s", s, log)
		}
	}
	if strings.Contains(log, "playbook bounded:") {
		t.Errorf("serve warned of a playbook whose input a pattern bounds:\n%s", log)
	}
	m := listenRE.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no address in %q", log)
	}
	code, body := apiCall(t, "POST", m[1]+"/api/v1/playbooks/hook/runs?wait=30s", f.admin, map[string]any{"inputs": map[string]any{"url": srv.URL + "/elsewhere"}})
	if v, _ := got.Load().(string); v != "" {
		t.Errorf("the caller's host was sent %q", v)
	}
	if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(body), "the run holds the value of env.HOOK_TOKEN") {
		t.Errorf("a run aimed by its caller: %d %v; want 403 naming the secret", code, body)
	}
	// The key is admin's: no wider role lifts the refusal, so the answer
	// does not send the caller to whoever keeps the policy.
	if msg := fmt.Sprint(body); strings.Contains(msg, "widen") || !strings.Contains(msg, "no key or policy lets it") {
		t.Errorf("a run aimed by its caller says to widen a role, or not that no key or policy lets it: %v", body)
	}
}
