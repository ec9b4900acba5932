package engine

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestRunLogSaysWhichPlaybookFailedAndWhy: at warn, the level serve logs
// runs at by default, a failed run's last line names its playbook and its
// error, masked.
func TestRunLogSaysWhichPlaybookFailedAndWhy(t *testing.T) {
	e := New(registry(t))
	p := plan(t, e, `version: 1
name: nightly
inputs:
  pw: {type: string, secret: true}
steps:
  - {id: a, op: control.fail, with: {message: "login with ${{ inputs.pw }} refused"}}
`)
	var buf bytes.Buffer
	rep := mustRun(t, p, map[string]any{"pw": "hunter2-secret"}, WithRunLog(&buf, zerolog.WarnLevel))
	if rep.Status != "failed" {
		t.Fatalf("status %s, want failed", rep.Status)
	}
	if strings.Contains(buf.String(), "hunter2-secret") {
		t.Errorf("the log shows the secret:\n%s", buf.String())
	}
	var last map[string]any
	for line := range strings.Lines(buf.String()) {
		last = nil
		if err := json.Unmarshal([]byte(line), &last); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
	}
	if last["message"] != "run finished" || last["level"] != "error" || last["playbook"] != "nightly" || last["status"] != "failed" ||
		last["error_class"] != "execution" || !strings.Contains(last["error"].(string), "login with *** refused") {
		t.Errorf("the last line: %v\nwant an error line of nightly failing, with its masked error", last)
	}
}
