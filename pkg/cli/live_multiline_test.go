package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestLiveViewKeepsTheLinesOfALogMessage: a control.log message of several
// lines (the tail of a log) is shown a line each, not run together, and
// each line is still cleaned of terminal controls.
func TestLiveViewKeepsTheLinesOfALogMessage(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 80)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "show_log", Op: "control.log"})
	ev(engine.Event{Kind: engine.EventLog, Step: "show_log", Op: "control.log", Level: "info", Message: "last lines:\nline one\nline \x1b[2Jtwo\n"})
	got := viewCodes.ReplaceAllString(out.String(), "")
	for _, want := range []string{"show_log  last lines:\n", "\n    line one\n", "\n    line "} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	if strings.Contains(out.String(), "\x1b[2J") {
		t.Errorf("a control sequence of the message reached the terminal:\n%q", out.String())
	}
}
