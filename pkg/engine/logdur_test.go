package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestLogDurationIsWholeMilliseconds: the engine's log lines (serve's run
// log) write duration_ms as a whole number of milliseconds, as run's and
// schedule's lines and the report do, so that a log collector sees one
// type for the field. Before, they wrote zerolog's float (0.044).
func TestLogDurationIsWholeMilliseconds(t *testing.T) {
	var logs bytes.Buffer
	e := New(registry(t, newTestOps().register), WithLog(&logs, zerolog.DebugLevel))
	p := plan(t, e, header+`
steps:
  - {id: a, op: control.noop}
  - {id: hosts, op: control.noop, foreach: '${{ [1, 2] }}', serial: 1}
`)
	mustRun(t, p, nil, WithRunID("r1"))
	seen := map[string]bool{}
	sc := bufio.NewScanner(&logs)
	for sc.Scan() {
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		v, ok := m["duration_ms"]
		if !ok {
			continue
		}
		msg, _ := m["message"].(string)
		seen[msg] = true
		if _, err := v.(json.Number).Int64(); err != nil {
			t.Errorf("%q: duration_ms %v is not a whole number", msg, v)
		}
	}
	for _, want := range []string{"step finished", "run finished"} {
		if !seen[want] {
			t.Errorf("no %q line with duration_ms in:\n%s", want, logs.String())
		}
	}
}
