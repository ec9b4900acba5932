package engine

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestRunLogLevelsTellWhatFailedTheRun: serve's run log at --log-level
// error showed nothing of a failed run, whose step and run lines were
// warnings. The run that failed and the step that failed it are errors;
// a failure continue_on_error ignored, or rescue steps may rescue, is a
// warning, as the run goes on past it.
func TestRunLogLevelsTellWhatFailedTheRun(t *testing.T) {
	e := New(registry(t))
	p := plan(t, e, `version: 1
name: nightly
steps:
  - {id: ign, op: control.fail, continue_on_error: true, with: {message: ignored}}
  - id: saved
    op: control.fail
    with: {message: rescued}
    rescue:
      - {id: fix, op: control.noop}
  - {id: boom, op: control.fail, with: {message: disk full}}
`)
	var buf bytes.Buffer
	rep := mustRun(t, p, nil, WithRunLog(&buf, zerolog.DebugLevel))
	if rep.Status != "failed" {
		t.Fatalf("status %s, want failed", rep.Status)
	}
	got := map[string]string{}
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		key, _ := m["message"].(string)
		if step, ok := m["step"].(string); ok {
			key += " " + step
		}
		got[key], _ = m["level"].(string)
	}
	for key, want := range map[string]string{
		"step finished ign": "warn", "step finished saved": "warn",
		"step finished boom": "error", "run finished": "error",
	} {
		if got[key] != want {
			t.Errorf("%s: level %q, want %q\n%s", key, got[key], want, buf.String())
		}
	}
}
