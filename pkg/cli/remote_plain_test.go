package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestPlainFollowCleansTerminalControls: off a terminal, 'remote run
// --follow' prints a line per finished step; a step's error quotes what
// the run read (a response, a decoded value), and reaches a terminal
// through a pipe or a CI log: its escape sequences are removed there, as
// run's own log lines remove them.
func TestPlainFollowCleansTerminalControls(t *testing.T) {
	var out strings.Builder
	v := &plainView{w: &out, started: map[string]time.Time{}}
	evil := "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;owned\x07\x1b[2J\u009b31m\r"
	now := time.Now()
	v.Event(engine.Event{Kind: engine.EventRunStarted, RunID: "r1", Time: now})
	v.Event(engine.Event{Kind: engine.EventStepStarted, RunID: "r1", Step: "probe" + evil, Time: now})
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Step: "probe" + evil, Status: "failed", Err: "bad answer: " + evil + "end", Time: now})
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07\r\u009b") {
		t.Errorf("the step's line keeps terminal controls: %q", got)
	}
	if !strings.Contains(got, "probe") || !strings.Contains(got, "bad answer: end") {
		t.Errorf("the step's line lost its text: %q", got)
	}
}
