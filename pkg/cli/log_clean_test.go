package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// hostile is a control.log message built from what a caller or a
// response chose: a window title, a screen clear, a bell and a NUL.
const hostile = "before \x1b]0;owned\x07\x1b[2J\x00after\x07 é 😀"

// checkClean fails unless out is one console line that shows hostile's
// text without its control characters.
func checkClean(t *testing.T, out string) {
	t.Helper()
	if strings.ContainsAny(out, "\x1b\x07\x00") {
		t.Errorf("the console log line holds terminal control characters: %q", out)
	}
	if !strings.Contains(out, "before after é 😀") {
		t.Errorf("the console log line lost the message's text: %q", out)
	}
}

// serve's console log writes the runs' lines (the engine's JSON, a
// control.log message among them) without the message's terminal
// escape sequences and control characters, as `run` does.
func TestServeConsoleLogCleansRunMessages(t *testing.T) {
	var buf bytes.Buffer
	d := &daemon{e: &env{stderr: &buf}, level: zerolog.InfoLevel}
	d.setLog(false)
	runLog := zerolog.New(d.runLog)
	runLog.Info().Str("run_id", "r1").Str("step", "log").Msg(hostile)
	checkClean(t, buf.String())
	buf.Reset()
	d.log.Info().Msg(hostile)
	checkClean(t, buf.String())
}

// schedule's console log likewise, for the lines of the runs it follows.
func TestScheduleConsoleLogCleansRunMessages(t *testing.T) {
	var buf bytes.Buffer
	log := newScheduleLogger(&buf, false, false, zerolog.InfoLevel)
	logEvent(log, engine.Event{Kind: engine.EventLog, RunID: "r1", Step: "log", Op: "control.log", Message: hostile, Level: "info"})
	checkClean(t, buf.String())
}

// forgedLine is a control.log message whose second line reads as a log
// line of its own, the scheduler's end of a run.
const forgedLine = "first\n01:02:03.000 INF run ended status=succeeded\r\n"

// checkOneLine fails unless out is one console line holding both lines of
// forgedLine's text.
func checkOneLine(t *testing.T, out string) {
	t.Helper()
	if n := strings.Count(out, "\n"); n != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("a message of two lines gives %d console lines, the second as if logged itself:\n%s", n, out)
	}
	if !strings.Contains(out, "first 01:02:03.000 INF run ended status=succeeded") {
		t.Errorf("the console log line lost the message's text: %q", out)
	}
}

// A message's line breaks become spaces in serve's and schedule's console
// log, as in run's: a control.log message cannot write a line that reads
// as one of the runner's.
func TestConsoleLogMessageIsOneLine(t *testing.T) {
	var buf bytes.Buffer
	d := &daemon{e: &env{stderr: &buf}, level: zerolog.InfoLevel}
	d.setLog(false)
	runLog := zerolog.New(d.runLog)
	runLog.Info().Str("run_id", "r1").Str("step", "log").Msg(forgedLine)
	checkOneLine(t, buf.String())

	buf.Reset()
	log := newScheduleLogger(&buf, false, false, zerolog.InfoLevel)
	logEvent(log, engine.Event{Kind: engine.EventLog, RunID: "r1", Step: "log", Op: "control.log", Message: forgedLine, Level: "info"})
	checkOneLine(t, buf.String())
}
