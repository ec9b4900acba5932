package engine

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestRunLogWaitsAreWholeMilliseconds: the run log's retrying and
// repeating lines give their wait as delay_ms and every_ms, whole
// milliseconds named with their unit, as duration_ms and the events'
// delay_ms are. Before, they were zerolog's default for a duration: a
// float of milliseconds under a key without its unit ("delay":20.0),
// unlike every other duration a log shipper reads from these lines.
func TestRunLogWaitsAreWholeMilliseconds(t *testing.T) {
	e := New(registry(t))
	p := plan(t, e, `version: 1
name: waits
steps:
  - id: flaky
    op: control.fail
    with: {message: down}
    continue_on_error: true
    retry: {attempts: 2, delay: 20ms}
  - id: poll
    op: control.noop
    repeat: {until: attempt >= 2, every: 30ms, timeout: 1m}
`)
	var buf bytes.Buffer
	mustRun(t, p, nil, WithRunLog(&buf, zerolog.DebugLevel))
	lines := map[string]map[string]any{}
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		msg, _ := m["message"].(string)
		lines[msg] = m
	}
	for msg, want := range map[string][2]string{"retrying": {"delay_ms", "delay"}, "repeating": {"every_ms", "every"}} {
		l := lines[msg]
		if l == nil {
			t.Errorf("no %q line:\n%s", msg, buf.String())
			continue
		}
		if _, old := l[want[1]]; old {
			t.Errorf("%q still has %s: %v", msg, want[1], l)
		}
		if !strings.Contains(buf.String(), `"`+want[0]+`":`) {
			t.Errorf("%q has no %s", msg, want[0])
		}
	}
	if l := lines["retrying"]; l != nil && l["delay_ms"] != float64(20) {
		t.Errorf("retrying: delay_ms %v, want 20", l["delay_ms"])
	}
	if l := lines["repeating"]; l != nil && l["every_ms"] != float64(30) {
		t.Errorf("repeating: every_ms %v, want 30", l["every_ms"])
	}
	if strings.Contains(buf.String(), `_ms":20.`) || strings.Contains(buf.String(), `_ms":30.`) {
		t.Errorf("a wait is not whole milliseconds:\n%s", buf.String())
	}
}
