package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// lastLine is the last line of what a terminal shows for b.
func lastLine(b string) string {
	sc := screen([]byte(b))
	return sc[strings.LastIndexByte(sc, '\n')+1:]
}

// TestConfirmHoldsLogLines: with log lines on the terminal (TERM=dumb,
// --log-format json), those written while a question waits (a step
// running alongside, a notice) are held, so the question stays the last
// thing on the screen; once it is answered they are written, in order,
// on lines of their own.
func TestConfirmHoldsLogLines(t *testing.T) {
	out := newNotifyWriter()
	hold := &questionHold{w: out}
	stderr := &lockedWriter{w: hold}
	in, typing := io.Pipe()
	defer typing.Close()
	c := &terminalConfirmer{in: in, out: stderr, view: hold}
	fmt.Fprintln(stderr, `{"level":"info","message":"confirm: Really?"}`)
	answered := make(chan bool, 1)
	go func() {
		ok, _ := c.Confirm(context.Background(), "danger", "Really?")
		answered <- ok
	}()
	for !strings.Contains(out.String(), "[step danger]") {
		<-out.wrote
	}
	for i := range 5 {
		fmt.Fprintf(stderr, `{"level":"info","step":"tick","message":"tick %d"}`+"\n", i)
	}
	if last := lastLine(out.String()); !strings.Contains(last, "Really? [step danger] (y/N) ") {
		t.Errorf("while it waits, the question is not the last line:\n%s", screen([]byte(out.String())))
	}
	out.Write([]byte("y\n")) // the terminal's echo
	io.WriteString(typing, "y\n")
	if !<-answered {
		t.Error("the answer was not taken")
	}
	fmt.Fprintln(stderr, `{"level":"info","message":"confirm answered"}`)
	got := out.String()
	q := strings.Index(got, "(y/N) y\n")
	prev := q
	for i := range 5 {
		at := strings.Index(got, fmt.Sprintf(`"tick %d"}`+"\n", i))
		if q < 0 || at < prev {
			t.Fatalf("the held lines are not written after the answer, in order:\n%s", got)
		}
		prev = at
	}
	if strings.Index(got, "confirm answered") < prev {
		t.Errorf("a line written after the answer came before the held ones:\n%s", got)
	}
}

// TestConfirmHoldDropsPastItsBound: a question left waiting for long while
// a step logs on holds a bounded amount, and says how much it dropped.
func TestConfirmHoldDropsPastItsBound(t *testing.T) {
	out := newNotifyWriter()
	hold := &questionHold{w: out}
	hold.pause()
	line := strings.Repeat("x", 1023) + "\n"
	for range maxHeld/len(line) + 10 {
		io.WriteString(hold, line)
	}
	if out.String() != "" {
		t.Fatalf("written while paused: %d bytes", len(out.String()))
	}
	hold.resume()
	if got := out.String(); len(got) > maxHeld+200 || !strings.Contains(got, "10 log lines written while the question waited were dropped") {
		t.Errorf("%d bytes written, ending %q", len(got), got[max(0, len(got)-200):])
	}
}

// TestConfirmWaitsForLiveView: the events of a step that finished before a
// question is asked reach the live view through the run's stream, maybe
// after the question: the question waits for them, so that the step's
// line and its messages are on the screen above it while it waits, not
// held until it is answered.
func TestConfirmWaitsForLiveView(t *testing.T) {
	out := newNotifyWriter()
	gate := newAskGate()
	v := newLiveView(out, palette{}, false, 120)
	v.gate = gate
	in, typing := io.Pipe()
	defer typing.Close()
	c := &terminalConfirmer{in: in, out: v, view: v, gate: gate}
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	answered := make(chan bool, 1)
	go func() { // asked before the view got the events emitted before it
		ok, _ := c.Confirm(context.Background(), "danger", "Really?")
		answered <- ok
	}()
	time.Sleep(50 * time.Millisecond)
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "pre", Op: "shell.exec"})
	ev(engine.Event{Kind: engine.EventLog, Step: "note", Op: "control.log", Level: "info", Message: "pre said hello"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "pre", Op: "shell.exec", Status: "succeeded"})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "danger", Op: "control.log"})
	ev(engine.Event{Kind: engine.EventConfirmAsked, Step: "danger", Op: "control.log", Message: "Really?"})
	for !strings.Contains(out.String(), "Really?") {
		<-out.wrote
	}
	sc := screen([]byte(out.String()))
	hello, pre, q := strings.Index(sc, "pre said hello"), strings.Index(sc, "pre                      succeeded"), strings.Index(sc, "Really?")
	if hello < 0 || pre < 0 || pre > q || hello > q {
		t.Errorf("while the question waits, what came before it is not shown above it:\n%s", sc)
	}
	if last := lastLine(out.String()); !strings.Contains(last, "Really? [step danger] (y/N)") {
		t.Errorf("the question is not the last line:\n%s", sc)
	}
	io.WriteString(typing, "n\n")
	if <-answered {
		t.Error("no was taken for yes")
	}
	v.close()
}

// TestConfirmWaitsForLogLines: the same with log lines: the lines of the
// events before the question are written before it, not held after it.
func TestConfirmWaitsForLogLines(t *testing.T) {
	out := newNotifyWriter()
	gate := newAskGate()
	hold := &questionHold{w: out}
	stderr := &lockedWriter{w: hold}
	logs := newLogView(stderr, true, zerolog.InfoLevel, false)
	logs.gate = gate
	in, typing := io.Pipe()
	defer typing.Close()
	c := &terminalConfirmer{in: in, out: stderr, view: hold, gate: gate}
	answered := make(chan bool, 1)
	go func() {
		ok, _ := c.Confirm(context.Background(), "danger", "Really?")
		answered <- ok
	}()
	time.Sleep(50 * time.Millisecond)
	s := runs.NewStream()
	followed := make(chan struct{})
	go func() { logs.follow(s, "r"); close(followed) }()
	now := time.Now()
	for _, e := range []engine.Event{
		{Kind: engine.EventRunStarted},
		{Kind: engine.EventStepStarted, Step: "pre", Op: "shell.exec"},
		{Kind: engine.EventLog, Step: "pre", Op: "shell.exec", Stream: "stdout", Message: "pre said hello"},
		{Kind: engine.EventStepFinished, Step: "pre", Op: "shell.exec", Status: "succeeded"},
		{Kind: engine.EventConfirmAsked, Step: "danger", Op: "control.log", Message: "Really?"},
	} {
		e.RunID, e.Time = "r", now
		s.Publish(e)
	}
	for !strings.Contains(out.String(), "[step danger]") {
		<-out.wrote
	}
	got := out.String()
	if hello, q := strings.Index(got, "pre said hello"), strings.Index(got, "[step danger]"); hello < 0 || hello > q {
		t.Errorf("while the question waits, what came before it is not shown above it:\n%s", got)
	}
	io.WriteString(typing, "y\n")
	if !<-answered {
		t.Error("yes was not taken")
	}
	s.Close()
	<-followed
}
