package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestServeAimedWarningIsLocatedAndFollowsTheServedPlaybooks: under
// --log-format json the warning of an aimed playbook gives its file,
// line and column as fields, as serve's other located problems, the
// message without them; and it is said of the playbooks serve serves: a
// reload refused for a broken file says nothing of an aimed playbook it
// keeps out, the next accepted one does.
func TestServeAimedWarningIsLocatedAndFollowsTheServedPlaybooks(t *testing.T) {
	f := newServeFixture(t)
	hook := func(name string) string {
		return fmt.Sprintf(`version: 1
name: %s
inputs:
  url: {type: string, default: "http://127.0.0.1:1/"}
steps:
  - id: call
    op: http.request
    with:
      url: "${{ inputs.url }}"
      headers: {Authorization: "Bearer ${{ env.HOOK_TOKEN }}"}
`, name)
	}
	writePlaybook(t, f.playbooks, "hook.yaml", hook("hook"))
	p := startEnv(t, []string{"HOOK_TOKEN=hunter2"}, "listening on", "serve", "--listen", "127.0.0.1:0", "--keys", f.keys,
		"--playbooks", f.playbooks, "--state-dir", f.state, "--env-passthrough", "HOOK_TOKEN", "--no-schedule", "--log-format", "json")
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	// aimed are the log's warnings of playbook name being aimed.
	aimed := func(name string) []map[string]any {
		var out []map[string]any
		for _, l := range strings.Split(p.stderr.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && strings.Contains(fmt.Sprint(m["message"]), "playbook "+name+": input url, which an API caller may set") {
				out = append(out, m)
			}
		}
		return out
	}
	got := aimed("hook")
	if len(got) != 1 {
		t.Fatalf("%d warnings of hook; want 1:\n%s", len(got), p.stderr.String())
	}
	w := got[0]
	if file, _ := w["file"].(string); w["level"] != "warn" || filepath.Base(file) != "hook.yaml" || w["line"] != 9.0 || w["column"] != 12.0 ||
		!strings.HasPrefix(fmt.Sprint(w["message"]), "playbook hook: ") {
		t.Errorf("the warning is %v; want level warn, file hook.yaml, line 9, column 12, and a message that starts with the playbook", w)
	}

	keys, err := os.ReadFile(f.keys)
	if err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, f.playbooks, "hook2.yaml", hook("hook2"))
	if err := os.WriteFile(f.keys, []byte("keys: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: kept the previous keys, policy and playbooks")
	if n, m := len(aimed("hook2")), len(aimed("hook")); n != 0 || m != 1 {
		t.Errorf("a refused reload warned %d times of hook2, which it kept out, and %d times of hook; want neither:\n%s", n, m-1, p.stderr.String())
	}
	if err := os.WriteFile(f.keys, keys, 0o600); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded")
	if n := len(aimed("hook2")); n != 1 {
		t.Errorf("an accepted reload warned %d times of hook2; want once:\n%s", n, p.stderr.String())
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
}
