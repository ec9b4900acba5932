package cli

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// The live view, fed a run's events, shows a running step's last output
// lines under it, control.log messages, step names, and a failed step's
// output in full.
func TestLiveViewShowsOutputLines(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "build", Name: "Build the image", Op: "shell.exec"})
	for _, l := range []string{"step 1/4", "step 2/4", "step 3/4", "step 4/4"} {
		ev(engine.Event{Kind: engine.EventLog, Step: "build", Op: "shell.exec", Stream: "stdout", Message: l})
	}
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	running := out.String()
	for _, want := range []string{"build (Build the image)", "step 2/4", "step 3/4", "step 4/4"} {
		if !strings.Contains(running, want) {
			t.Errorf("while build runs, the view lacks %q:\n%s", want, running)
		}
	}
	ev(engine.Event{Kind: engine.EventLog, Step: "note", Op: "control.log", Level: "info", Message: "Hello, world!"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "build", Name: "Build the image", Op: "shell.exec", Status: "failed", Err: "exit code 2"})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "probe", Op: "shell.exec"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "probe", Op: "shell.exec", Status: "failed", Err: "exit code 3", Ignored: true})
	v.close()
	got := viewCodes.ReplaceAllString(out.String(), "")
	for _, want := range []string{"Hello, world!", "✗ build", "│ step 1/4", "│ step 4/4", "exit code 2", "ignored: continue_on_error  exit code 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("after build failed, the view lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ignored: continue_on_error  exit code 2") {
		t.Errorf("a failure that counts reads as ignored:\n%s", got)
	}
}

// TestLiveViewKeepsWhatOthersWrite: a line written to stderr while the
// view is shown (the notice of a first Ctrl-C) stays on the screen: the
// view's next redraw, which moves up over its block and clears down,
// would erase a line written under the block.
func TestLiveViewKeepsWhatOthersWrite(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "work", Op: "shell.exec"})
	for _, l := range []string{"line1", "line2", "line3"} {
		ev(engine.Event{Kind: engine.EventLog, Step: "work", Op: "shell.exec", Stream: "stdout", Message: l})
	}
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	fmt.Fprintf(v, "\narsenal-run: interrupted by SIGINT: cancelling the run (again to exit ")
	fmt.Fprintf(v, "at once)\n")
	for range 3 {
		v.mu.Lock()
		v.redraw()
		v.mu.Unlock()
	}
	v.close()
	if sc := screen([]byte(out.String())); !strings.Contains(sc, "cancelling the run (again to exit at once)") {
		t.Errorf("the notice was erased; the terminal shows:\n%s", sc)
	}
}

// screen renders what a terminal shows for b (only \r, \n, ESC[nA,
// ESC[nC, ESC[2K, ESC[J; SGR ignored).
func screen(b []byte) string {
	s := string(b)
	lines, row, col := []string{""}, 0, 0
	csi := regexp.MustCompile(`^\x1b\[(\d*)([A-Za-z])`)
	for i := 0; i < len(s); {
		if m := csi.FindStringSubmatch(s[i:]); m != nil {
			n, _ := strconv.Atoi(m[1])
			if n == 0 {
				n = 1
			}
			switch m[2] {
			case "A":
				row = max(0, row-n)
			case "C":
				col += n
			case "K": // only ESC[2K, the whole line
				lines[row] = ""
			case "J":
				r := []rune(lines[row])
				lines[row] = string(r[:min(col, len(r))])
				lines = lines[:row+1]
			}
			i += len(m[0])
			continue
		}
		switch s[i] {
		case '\r':
			col = 0
		case '\n':
			row, col = row+1, 0
			for len(lines) <= row {
				lines = append(lines, "")
			}
		default:
			lines[row] += string(s[i]) // good enough: appends at the end of the line
			col++
		}
		i++
	}
	return strings.Join(lines, "\n")
}

// TestLiveViewKeepsQuestionWhilePaused: a confirm: question stays the last
// thing on the screen while it waits, though the event of a step that
// finished before it was asked reaches the view after it is shown; the
// step's line is shown once the question is answered, not over it.
func TestLiveViewKeepsQuestionWhilePaused(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	c := &terminalConfirmer{in: strings.NewReader(""), out: v, view: v}
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "wait", Op: "control.sleep"})
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()

	in, typing := io.Pipe()
	defer typing.Close()
	c.in = in
	answered := make(chan bool, 1)
	go func() {
		ok, _ := c.Confirm(context.Background(), "a", "Really?")
		answered <- ok
	}()
	for !strings.Contains(out.String(), "Really?") {
		<-out.wrote
	}
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "wait", Op: "control.sleep", Status: "succeeded"})
	fmt.Fprintf(v, "a warning\n")
	for range 3 { // the ticker's redraws
		v.mu.Lock()
		v.redraw()
		v.mu.Unlock()
	}
	sc := screen([]byte(out.String()))
	if last := sc[strings.LastIndexByte(sc, '\n')+1:]; !strings.Contains(last, "Really? [step a] (y/N)") {
		t.Errorf("while it waits, the question is not the last line; the terminal shows:\n%s", sc)
	}
	// The answer typed, and echoed by the terminal.
	out.Write([]byte("y\n"))
	io.WriteString(typing, "y\n")
	if !<-answered {
		t.Error("the answer was not taken")
	}
	v.close()
	sc = screen([]byte(out.String()))
	q, done := strings.Index(sc, "Really?"), strings.Index(sc, "wait                     succeeded")
	if q < 0 || done < q || !strings.Contains(sc, "a warning") {
		t.Errorf("after the answer, the question, then the finished step and the warning, should show; the terminal shows:\n%s", sc)
	}
}

// TestLiveViewReleasedForAnExitAtOnce: a second signal while a question is
// asked exits at once; what it writes (why, the steps still running) goes
// to the screen, not held for an answer that will never come.
func TestLiveViewReleasedForAnExitAtOnce(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	stderr := &lockedWriter{w: v}
	v.pause()
	fmt.Fprint(out, "Really? [step a] (y/N) ")
	fmt.Fprintln(stderr, "arsenal-run: step b finished") // held: the question is asked
	stderr.release()
	fmt.Fprintln(stderr, "arsenal-run: SIGINT again: exiting now")
	got := viewCodes.ReplaceAllString(out.String(), "")
	for _, want := range []string{"Really? [step a] (y/N) \n", "step b finished", "SIGINT again: exiting now"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q on the screen:\n%q", want, got)
		}
	}
}

// TestLiveViewAlignsColouredColumns: a finished step's status and time
// start in the same column whether its label has a dim (name) or not, and
// whether colour is on or off: padding counts what the screen shows, not
// the colour codes.
func TestLiveViewAlignsColouredColumns(t *testing.T) {
	for _, on := range []bool{false, true} {
		out := newNotifyWriter()
		v := newLiveView(out, palette{on: on}, false, 120)
		now := time.Now()
		ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
		ev(engine.Event{Kind: engine.EventRunStarted})
		for _, s := range []struct{ id, name string }{{"plain", ""}, {"db", "Migrate"}, {"né", ""}} {
			ev(engine.Event{Kind: engine.EventStepStarted, Step: s.id, Name: s.name})
			ev(engine.Event{Kind: engine.EventStepFinished, Step: s.id, Name: s.name, Status: "succeeded"})
		}
		v.close()
		shown := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(viewCodes.ReplaceAllString(out.String(), ""), "")
		col := -1
		for _, l := range strings.Split(shown, "\n") {
			i := strings.Index(l, "succeeded")
			if i < 0 {
				continue
			}
			i = len([]rune(l[:i]))
			if col >= 0 && i != col {
				t.Errorf("colour %v: status columns differ (%d, %d):\n%s", on, col, i, shown)
				break
			}
			col = i
		}
		if col < 0 {
			t.Errorf("colour %v: no finished steps shown:\n%s", on, shown)
		}
	}
}

// TestLiveViewFailedStepHeading: the lines under a failed process step
// are its output, stdout and stderr mixed, so the heading of its error
// says so rather than "stderr ends with:"; with --quiet, which shows no
// output, there is no heading left hanging over nothing.
func TestLiveViewFailedStepHeading(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		out := newNotifyWriter()
		v := newLiveView(out, palette{}, quiet, 120)
		now := time.Now()
		ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
		ev(engine.Event{Kind: engine.EventRunStarted})
		ev(engine.Event{Kind: engine.EventStepStarted, Step: "build", Op: "shell.exec"})
		ev(engine.Event{Kind: engine.EventLog, Step: "build", Op: "shell.exec", Stream: "stdout", Message: "compiling"})
		ev(engine.Event{Kind: engine.EventLog, Step: "build", Op: "shell.exec", Stream: "stderr", Message: "oops"})
		ev(engine.Event{Kind: engine.EventStepFinished, Step: "build", Op: "shell.exec", Status: "failed",
			Err: "exit code 1 is not in ok_codes [0]; stderr ends with:\noops"})
		v.close()
		got := viewCodes.ReplaceAllString(out.String(), "")
		if strings.Contains(got, "stderr ends with") {
			t.Errorf("quiet %v: the mixed output is headed as stderr:\n%s", quiet, got)
		}
		if !strings.Contains(got, "exit code 1 is not in ok_codes [0]") {
			t.Errorf("quiet %v: the error is gone:\n%s", quiet, got)
		}
		if heading := strings.Contains(got, "output ends with:"); heading == quiet {
			t.Errorf("quiet %v: heading shown %v:\n%s", quiet, heading, got)
		}
		if !quiet && !strings.Contains(got, "│ compiling") {
			t.Errorf("the output is not shown:\n%s", got)
		}
	}
}

// TestLiveViewFinishedForAnExitAtOnce: a second signal exits at once,
// while steps still run: the block of running steps is cleared before
// why it exits is written, events that still come in draw no block again,
// and what is on the screen ends with a newline, so that the shell's
// prompt starts a line of its own.
func TestLiveViewFinishedForAnExitAtOnce(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	stderr := &lockedWriter{w: v}
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	for _, s := range []string{"teardown", "other"} {
		ev(engine.Event{Kind: engine.EventStepStarted, Step: s, Op: "shell.exec"})
		ev(engine.Event{Kind: engine.EventLog, Step: s, Op: "shell.exec", Stream: "stdout", Message: "tearing down"})
	}
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	stderr.finish()
	fmt.Fprintln(stderr, "arsenal-run: SIGINT again: exiting now")
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "other", Op: "shell.exec", Status: "cancelled"})
	ev(engine.Event{Kind: engine.EventLog, Step: "teardown", Op: "shell.exec", Stream: "stdout", Message: "still tearing down"})
	v.mu.Lock()
	v.redraw() // a tick that was under way
	v.mu.Unlock()
	fmt.Fprintln(stderr, "arsenal-run: exited while these steps ran")
	sc := screen([]byte(out.String()))
	if strings.Contains(sc, "⋯") || strings.Contains(sc, "    tearing down") {
		t.Errorf("the running block is still on the screen:\n%s", sc)
	}
	if !strings.HasSuffix(out.String(), "exited while these steps ran\n") {
		t.Errorf("the output does not end with the last message and a newline:\n%q", out.String())
	}
	if !strings.Contains(sc, "SIGINT again: exiting now") || !strings.Contains(sc, "other") {
		t.Errorf("lines are missing:\n%s", sc)
	}
}

// TestLiveViewShowsTheStepsOwnDuration: a finished step shows the
// duration the report gives it, not the time since its step_started
// event: a confirmed step's leaves out the time its question waited.
func TestLiveViewShowsTheStepsOwnDuration(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	now := time.Now()
	v.Event(engine.Event{Kind: engine.EventRunStarted, RunID: "r", Time: now})
	v.Event(engine.Event{Kind: engine.EventStepStarted, RunID: "r", Time: now, Step: "danger"})
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r", Time: now.Add(2 * time.Minute), Step: "danger", Status: "succeeded", DurationMS: 5})
	v.close()
	shown := viewCodes.ReplaceAllString(out.String(), "")
	if !regexp.MustCompile(`danger +succeeded +5ms`).MatchString(shown) {
		t.Errorf("want the step's own 5ms:\n%s", shown)
	}
}

// TestLiveViewOfARemoteRunJoinedAfterItsStart: the stream of a remote
// run may begin with a gap, past its run_started: the view, told the
// run it follows, still shows its steps, and not a sub-playbook's.
func TestLiveViewOfARemoteRunJoinedAfterItsStart(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	v.follows("r")
	v.Event(engine.Event{Kind: engine.EventKind("dropped"), Dropped: 70000})
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "sub", Step: "inner", Status: "succeeded", DurationMS: 3})
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r", Step: "build", Status: "succeeded", DurationMS: 1500})
	v.close()
	shown := viewCodes.ReplaceAllString(out.String(), "")
	if !regexp.MustCompile(`build +succeeded +1\.5s`).MatchString(shown) || strings.Contains(shown, "inner") {
		t.Errorf("want the run's step build alone:\n%s", shown)
	}
}

// TestLiveViewShowsAStepOnce: a stream rebuilt from the report (a server
// restarted while a remote follow read it) tells again a step the view
// showed; it is not shown again, nor drawn as running.
func TestLiveViewShowsAStepOnce(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	v.follows("r")
	for range 2 {
		v.Event(engine.Event{Kind: engine.EventStepStarted, RunID: "r", Section: "steps", Step: "build"})
		v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r", Section: "steps", Step: "build", Status: "succeeded", DurationMS: 1500})
	}
	v.Event(engine.Event{Kind: engine.EventStepStarted, RunID: "r", Section: "steps", Step: "build"})
	v.mu.Lock()
	running := len(v.running)
	v.mu.Unlock()
	v.close()
	shown := viewCodes.ReplaceAllString(out.String(), "")
	if n := len(regexp.MustCompile(`build +succeeded`).FindAllString(shown, -1)); n != 1 || running != 0 {
		t.Errorf("the step build is shown %d times, %d steps drawn as running:\n%s", n, running, shown)
	}
}

// TestLiveViewFitsAShortTerminal: on a terminal of fewer rows than the
// block's bound, the block keeps a row less than the terminal has; a
// taller block scrolls its top off the screen, where the next redraw's
// move up cannot reach it, and every redraw leaves a copy behind.
func TestLiveViewFitsAShortTerminal(t *testing.T) {
	out := newNotifyWriter()
	v := newSizedLiveView(out, palette{}, false, 120, 10)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	for i := range 40 {
		ev(engine.Event{Kind: engine.EventStepStarted, Step: fmt.Sprintf("s%d", i), Op: "control.sleep"})
	}
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	raw := out.String()
	block := raw[strings.LastIndex(raw, "\x1b[J\r")+len("\x1b[J\r"):]
	if n := strings.Count(block, "\n") + 1; n > 9 {
		t.Errorf("the block takes %d rows of a 10-row terminal:\n%s", n, block)
	}
	if !strings.Contains(block, "more lines") {
		t.Errorf("the block does not say what it left out:\n%s", block)
	}
	v.close()
}

// TestLiveViewShowsDryRunNote: a dry run's note on a step that succeeded
// (its confirm: question was not asked) is on the step's line, as a
// skipped step's reason is; another succeeded step's reason is not.
func TestLiveViewShowsDryRunNote(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 200)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "look", Op: "file.read"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "look", Op: "file.read", Status: "succeeded", Reason: `dry run: confirm: "Look?" was not asked`})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "keep", Op: "file.read"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "keep", Op: "file.read", Status: "succeeded", Reason: "reused from run X"})
	v.close()
	got := viewCodes.ReplaceAllString(out.String(), "")
	if !strings.Contains(got, `confirm: "Look?" was not asked`) {
		t.Errorf("the view lacks the dry run's note:\n%s", got)
	}
	if strings.Contains(got, "reused from run X") {
		t.Errorf("the view shows a succeeded step's reason:\n%s", got)
	}
}

// TestFinishedLineOfAStepThatNeverStarted: a step cancelled before its
// turn reads "–" for its time in the live view and in remote --follow's
// lines, as it does in the summary, not "0ms"; a step that started and
// was cancelled at once keeps its "0ms".
func TestFinishedLineOfAStepThatNeverStarted(t *testing.T) {
	evs := []engine.Event{
		{Kind: engine.EventRunStarted},
		{Kind: engine.EventStepStarted, Step: "queued", Op: "control.sleep"},
		{Kind: engine.EventStepFinished, Step: "queued", Op: "control.sleep", Status: "cancelled", Err: "interrupted by SIGINT", NotStarted: true},
		{Kind: engine.EventStepStarted, Step: "began", Op: "control.sleep"},
		{Kind: engine.EventStepFinished, Step: "began", Op: "control.sleep", Status: "cancelled", Err: "interrupted by SIGINT"},
	}
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	var plain strings.Builder
	p := &plainView{w: &plain, runID: "r"}
	for _, ev := range evs {
		ev.RunID, ev.Time = "r", time.Now()
		v.Event(ev)
		p.Event(ev)
	}
	v.close()
	for name, got := range map[string]string{"live view": viewCodes.ReplaceAllString(out.String(), ""), "remote --follow": plain.String()} {
		for _, want := range []*regexp.Regexp{regexp.MustCompile(`queued +cancelled +– `), regexp.MustCompile(`began +cancelled +0ms `)} {
			if !want.MatchString(got) {
				t.Errorf("%s: no line matching %q:\n%s", name, want, got)
			}
		}
	}
}
