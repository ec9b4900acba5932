package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestJSONLogLineEscapesC1AndBidi: a JSON log line keeps a message's data,
// but writes its C1 control characters (U+009B is CSI, U+009D OSC to a
// terminal that reads them in UTF-8) and bidirectional overrides as \u
// escapes, as JSON writes the C0 ones, so that the line shown on a
// terminal (tail -f, --log-format json in a terminal) neither acts on them
// nor reads reordered.
func TestJSONLogLineEscapesC1AndBidi(t *testing.T) {
	msg := "a \u009b2J\u009d0;T\a \u202edeliaf\u2066 é 😀 b"
	var buf bytes.Buffer
	v := newLogView(&buf, true, zerolog.InfoLevel, false)
	v.Event(engine.Event{Kind: engine.EventLog, RunID: "r1", Time: time.Now(), Step: "l", Op: "control.log", Message: msg, Level: "info"})
	v.w.Flush()
	line := buf.String()
	for _, r := range "\u009b\u009d\u202e\u2066" {
		if strings.ContainsRune(line, r) {
			t.Errorf("the JSON line holds %U as it is: %q", r, line)
		}
	}
	var got struct{ Message string }
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatal(err)
	}
	if got.Message != msg {
		t.Errorf("the JSON line's message decodes to %q, want %q", got.Message, msg)
	}
}
