package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// evil holds the sequences a hostile value uses on a terminal: a window
// title (OSC), a screen clear and cursor moves (CSI), a carriage return that
// lets text overwrite the line, a bell and an 8-bit CSI.
const evil = "\x1b]0;owned\x07\x1b[2J\x1b[1A\rDelete nothing?\u009b31m"

// terminalControls are the bytes none of the terminal sinks may pass on
// from a value.
var terminalControls = []string{"\x1b", "\x07", "\r", "\u009b"}

func noControls(t *testing.T, what, s string) {
	t.Helper()
	for _, c := range terminalControls {
		if strings.Contains(s, c) {
			t.Errorf("%s holds %q:\n%q", what, c, s)
		}
	}
}

// notifyWriter is a concurrency-safe buffer that tells when it was written
// to.
type notifyWriter struct {
	syncBuffer
	wrote chan struct{}
}

func newNotifyWriter() *notifyWriter { return &notifyWriter{wrote: make(chan struct{}, 100)} }

func (n *notifyWriter) Write(p []byte) (int, error) {
	n.syncBuffer.Write(p)
	select {
	case n.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

// TestConfirmQuestionHasNoTerminalControls: an interpolated confirm:
// question cannot rewrite what the person reads.
func TestConfirmQuestionHasNoTerminalControls(t *testing.T) {
	out := newNotifyWriter()
	c := &terminalConfirmer{in: bufio.NewReader(strings.NewReader("y\n")), out: out}
	ok, err := c.Confirm(context.Background(), "stop", "Stop "+evil)
	if err != nil {
		t.Fatal(err)
	}
	_ = ok
	noControls(t, "the question", out.String())
	if !strings.Contains(out.String(), "Delete nothing?") || !strings.Contains(out.String(), "[step stop] (y/N)") {
		t.Errorf("the question lost its text: %q", out.String())
	}
}

// TestConfirmAfterCancelledQuestion: a question given up while waiting (the
// run was interrupted at the prompt) leaves no reader behind; the next
// question gets the next answer typed, and stdin is read by one goroutine
// only (-race checks that).
func TestConfirmAfterCancelledQuestion(t *testing.T) {
	in, typing := io.Pipe()
	defer typing.Close()
	out := newNotifyWriter()
	c := &terminalConfirmer{in: bufio.NewReader(in), out: out}

	ctx, cancel := context.WithCancelCause(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.Confirm(ctx, "one", "First?")
		first <- err
	}()
	<-out.wrote // the first question is shown
	cancel(errors.New("interrupted by SIGINT"))
	if err := <-first; err == nil || !strings.Contains(err.Error(), "SIGINT") {
		t.Fatalf("the cancelled question returned %v", err)
	}

	type answer struct {
		ok  bool
		err error
	}
	second := make(chan answer, 1)
	go func() {
		ok, err := c.Confirm(context.Background(), "two", "Second?")
		second <- answer{ok, err}
	}()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(out.String(), "Second?") {
		select {
		case <-out.wrote:
		case <-deadline:
			t.Fatal("the second question was never shown")
		}
	}
	if _, err := io.WriteString(typing, "yes\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-second:
		if a.err != nil || !a.ok {
			t.Errorf("the second question got %v, %v; want yes", a.ok, a.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the answer to the second question was lost")
	}

	// When stdin ends (Ctrl-D), every later question gets the default
	// answer, no, at once instead of waiting: declined, not an error.
	typing.Close()
	if ok, err := c.Confirm(context.Background(), "three", "Third?"); ok || err != nil {
		t.Errorf("after stdin closed: %v, %v; want no, without an error", ok, err)
	}
}

// TestConfirmIgnoresLinesTypedBeforeTheQuestion: typeahead does not answer
// a question that was not yet asked.
func TestConfirmIgnoresLinesTypedBeforeTheQuestion(t *testing.T) {
	in, typing := io.Pipe()
	defer typing.Close()
	out := newNotifyWriter()
	c := &terminalConfirmer{in: bufio.NewReader(in), out: out}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan struct{})
	go func() {
		c.Confirm(ctx, "one", "First?")
		close(first)
	}()
	<-out.wrote
	cancel()
	<-first
	// "y" arrives while no question is shown: the reader holds it.
	io.WriteString(typing, "y\n")
	time.Sleep(50 * time.Millisecond)
	second := make(chan bool, 1)
	go func() {
		ok, _ := c.Confirm(context.Background(), "two", "Second?")
		second <- ok
	}()
	for !strings.Contains(out.String(), "Second?") {
		<-out.wrote
	}
	io.WriteString(typing, "no\n")
	select {
	case ok := <-second:
		if ok {
			t.Error("a line typed before the question confirmed it")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
}

// TestLiveViewHasNoTerminalControls: an error shown in the live view keeps
// its text and loses its escape sequences (the view's own redraw codes
// stay).
func TestLiveViewHasNoTerminalControls(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 100)
	v.Event(engine.Event{Kind: engine.EventRunStarted, RunID: "r"})
	v.Event(engine.Event{Kind: engine.EventStepStarted, RunID: "r", Step: "s"})
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r", Step: "s", Status: string(report.StatusFailed), Err: "exit 1: " + evil})
	v.close()
	// The view moves up and clears its block with
	// "\r\x1b[NA\x1b[2K\x1b[C\x1b[J\r"; take those out first.
	got := viewCodes.ReplaceAllString(out.String(), "")
	noControls(t, "the live view", got)
	if !strings.Contains(got, "Delete nothing?") {
		t.Errorf("the error lost its text: %q", got)
	}
}

// TestConsoleOutputHasNoTerminalControls runs a playbook whose log
// messages, outputs and process output hold escape sequences: the console
// log lines and the summary show the text without them, and the JSON
// report keeps the data, escaped by JSON.
func TestConsoleOutputHasNoTerminalControls(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "evil.yaml", `version: 1
name: evil
inputs:
  text: {type: string}
steps:
  - {id: say, op: control.log, with: {message: "${{ inputs.text }}"}}
  - {id: keep, op: control.set, with: {value: "${{ inputs.text }}"}}
  - id: print
    op: shell.exec
    env: {TEXT: "${{ inputs.text }}"}
    with: {script: 'printf "%s\n" "$TEXT"'}
  - {id: fail, op: control.fail, with: {message: "${{ inputs.text }}"}}
outputs:
  value: "${{ inputs.text }}"
`)
	rep := filepath.Join(dir, "r.json")
	res := runMain(t, "run", pb, "--input", "text="+evil, "--log-level", "debug", "--report", rep)
	if res.code != ExitFailed {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	noControls(t, "the console log", res.stderr)
	noControls(t, "the summary", res.stdout)
	if !strings.Contains(res.stderr, "Delete nothing?") || !strings.Contains(res.stdout, "Delete nothing?") {
		t.Errorf("the text around the escapes is gone:\nstderr:\n%s\nstdout:\n%s", res.stderr, res.stdout)
	}
	r := readReport(t, rep)
	if got := r.Steps[1].Output.(map[string]any)["value"]; got != evil {
		t.Errorf("the report changed the data: %q", got)
	}
	if got := r.Outputs["value"]; got != evil {
		t.Errorf("the report changed the output: %q", got)
	}
	// JSON log lines escape the data instead.
	res = runMain(t, "run", pb, "--input", "text="+evil, "--log-format", "json")
	if strings.Contains(res.stderr, "\x1b") {
		t.Errorf("JSON log lines hold a raw ESC:\n%q", res.stderr)
	}
}

// viewCodes are the live view's own cursor moves and erases.
var viewCodes = regexp.MustCompile(`\r(\x1b\[\d+A)?\x1b\[2K\x1b\[C\x1b\[J\r`)

// TestConfirmGivenUpWhileWaitingIsNotShown: a question given up while it
// waited for another to be answered (answered elsewhere, say) is never
// printed, so no prompt dangles on the terminal.
func TestConfirmGivenUpWhileWaitingIsNotShown(t *testing.T) {
	in, typing := io.Pipe()
	defer typing.Close()
	out := newNotifyWriter()
	c := &terminalConfirmer{in: bufio.NewReader(in), out: out}
	first := make(chan bool, 1)
	go func() {
		ok, _ := c.Confirm(context.Background(), "one", "First?")
		first <- ok
	}()
	for !strings.Contains(out.String(), "First?") {
		<-out.wrote
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := c.Confirm(ctx, "two", "Second?")
		second <- err
	}()
	time.Sleep(50 * time.Millisecond) // the second waits for the first
	cancel(errors.New("answered elsewhere"))
	io.WriteString(typing, "y\n")
	if !<-first {
		t.Error("the first question did not get its yes")
	}
	if err := <-second; err == nil {
		t.Error("the given-up question returned no error")
	}
	if strings.Contains(out.String(), "Second?") {
		t.Errorf("the given-up question was printed: %q", out.String())
	}
}
