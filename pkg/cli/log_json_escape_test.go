package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// c1Bidi is a message holding C1 controls (CSI, OSC) and bidirectional
// overrides and isolates, with text around them that is not controls.
const c1Bidi = "a \u009b2J\u009d0;T\a \u202edeliaf\u2066 é 😀 b"

// checkJSONEscaped fails unless out is JSON lines whose C1 controls and
// bidirectional overrides are \u escapes, each line's message and field
// "v" decoding to c1Bidi.
func checkJSONEscaped(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range "\u009b\u009d\u202e\u2066" {
		if strings.ContainsRune(out, r) {
			t.Errorf("%s: the JSON line holds %U as it is: %q", what, r, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var got struct{ Message, V string }
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("%s: %q: %v", what, line, err)
		}
		if got.Message != c1Bidi || got.V != c1Bidi {
			t.Errorf("%s: the line decodes to message %q, v %q, want %q", what, got.Message, got.V, c1Bidi)
		}
	}
}

// TestDaemonJSONLogEscapesC1AndBidi: the JSON log lines of schedule and
// serve, theirs and the runs', write C1 controls and bidirectional
// overrides of a message or a field as \u escapes, as run's JSON lines do,
// so a line shown on a terminal neither acts on them nor reads reordered.
func TestDaemonJSONLogEscapesC1AndBidi(t *testing.T) {
	var buf bytes.Buffer
	log := newScheduleLogger(&buf, true, false, zerolog.InfoLevel)
	log.Info().Str("v", c1Bidi).Msg(c1Bidi)
	checkJSONEscaped(t, "schedule", buf.String())

	buf.Reset()
	logEvent(log.With().Str("v", c1Bidi).Logger(), engine.Event{Kind: engine.EventLog, RunID: "r1", Step: "log", Op: "control.log", Message: c1Bidi, Level: "info"})
	checkJSONEscaped(t, "schedule, a run's line", buf.String())

	buf.Reset()
	d := &daemon{e: &env{stderr: &buf}, level: zerolog.InfoLevel, o: serveOptions{logFormat: "json"}}
	d.setLog(false)
	d.log.Info().Str("v", c1Bidi).Msg(c1Bidi)
	checkJSONEscaped(t, "serve", buf.String())

	buf.Reset()
	runLog := zerolog.New(d.runLog)
	runLog.Info().Str("v", c1Bidi).Msg(c1Bidi)
	checkJSONEscaped(t, "serve, a run's line", buf.String())
}
