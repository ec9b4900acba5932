package cli

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// isTerminal reports whether the stream is a terminal.
func (e *env) isTerminal(s any) bool {
	f, ok := fileOf(s)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// canRedraw reports whether the live view can redraw on the stream: a
// terminal that understands cursor movement, which TERM=dumb (an Emacs
// shell, some CI consoles) says it does not.
func (e *env) canRedraw(s any) bool {
	return e.isTerminal(s) && e.getenv("TERM") != "dumb"
}

// liveView shows a run's progress on a terminal, rendering its events:
// a permanent line for each finished step and each control.log message,
// and below them a block, redrawn ten times a second, with each running
// step (name, elapsed time, fan-out progress) and the last lines of its
// output. When a step fails, the output it printed is shown in full (up to
// a bound). With quiet, the block is one status line and no output is
// shown, as in earlier releases.
type liveView struct {
	mu      sync.Mutex
	w       io.Writer
	p       palette
	quiet   bool
	width   int
	rows    int // the most lines the running block takes (maxBlockRows, less on a short terminal)
	runID   string
	running map[string]*liveStep
	started int             // steps started so far, numbering them
	shown   map[string]bool // the steps whose step_finished is on screen (stepKey)
	drawn   []int           // the columns each row of the block on screen takes
	cols    int             // the terminal's width when last asked, 0 unknown
	paused  bool
	held    []string       // lines printed while paused, shown on resume
	pending []byte         // a line others began to write and did not end (Write)
	gate    *askGate       // told when a question's confirm_asked is shown, if set
	behind  *time.Duration // how far the events' clock is behind this one's (heard)
	stop    chan struct{}
	wg      sync.WaitGroup
}

type liveStep struct {
	name               string
	start              time.Time
	seq                int // the order it started in, which the block keeps
	items, done, fails int
	batch              string    // its rolling batch now (batchRow), of a serial: fan-out
	lines              []string  // the step's output, at most maxKeptLines
	cut                int       // lines dropped from the front of lines
	retryTry, retryOf  int       // the try a retry waits for, of how many
	retryUntil         time.Time // when that wait ends (retryNote)
}

// Bounds of the live view.
const (
	tailLines    = 3   // output lines shown under a running step
	maxKeptLines = 200 // output lines kept per step, shown when it fails
	maxBlockRows = 24  // the running block never grows past this
)

func newLiveView(w io.Writer, p palette, quiet bool, width int) *liveView {
	return newSizedLiveView(w, p, quiet, width, 0)
}

// newSizedLiveView is newLiveView on a terminal of height rows (0 when
// unknown): the block keeps a row less than the terminal has, since moving
// up over lines that scrolled off the top cannot reach them, and every
// redraw would leave a copy of the block in the scrollback.
func newSizedLiveView(w io.Writer, p palette, quiet bool, width, height int) *liveView {
	v := &liveView{w: w, p: p, quiet: quiet, running: map[string]*liveStep{}, shown: map[string]bool{}, stop: make(chan struct{})}
	v.setSize(width, height)
	v.wg.Add(1)
	go v.tick()
	return v
}

func (v *liveView) tick() {
	defer v.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			v.redraw()
			v.mu.Unlock()
		}
	}
}

// follows names the run the view shows before any of its events comes: a
// stream that a remote follow joins late, or resumes after a gap, may
// begin past the run's run_started, and the view must still tell the
// run's own steps from a sub-playbook's.
func (v *liveView) follows(runID string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.runID = runID
}

// Event implements engine.Observer.
func (v *liveView) Event(ev engine.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.heard(ev.Time)
	if ev.Kind == engine.EventRunStarted && v.runID == "" {
		v.runID = ev.RunID
	}
	if ev.Kind == engine.EventConfirmAsked && v.gate != nil {
		// Everything before it is on the screen (a sub-playbook's
		// question too, whose steps show in the report).
		v.gate.shownAsk(ev.Step)
	}
	if ev.RunID != v.runID {
		return // a sub-playbook's steps show in the report
	}
	switch ev.Kind {
	case engine.EventStepStarted:
		if v.shown[stepKey(ev)] {
			return // told again: see stepKey
		}
		s := v.running[ev.Step]
		if s == nil {
			v.started++
			s = &liveStep{start: ev.Time, name: ev.Name, seq: v.started}
			v.running[ev.Step] = s
		}
		if ev.Items > 0 {
			s.items = ev.Items
		}
	case engine.EventItemFinished:
		if s := v.running[ev.Step]; s != nil {
			s.done++
			if ev.Status == string(report.StatusFailed) || ev.Status == string(report.StatusDenied) {
				s.fails++
			}
		}
	case engine.EventBatchStarted, engine.EventBatchFinished:
		v.batch(ev)
	case engine.EventLog:
		v.log(ev)
	case engine.EventRetry:
		v.retryWait(ev)
	case engine.EventConfirmAnswered:
		v.answered(ev)
	case engine.EventStepFinished:
		if k := stepKey(ev); !v.shown[k] {
			v.shown[k] = true
			v.finished(ev)
		}
	}
}

// stepKey names a step of the run for the views, which show each step's
// end once: a run has one step_finished per step, but a remote follow
// that resumes on a server restarted since reads the run's stream rebuilt
// from its report, which tells again the steps it had shown. A step
// without a section is one of steps.
func stepKey(ev engine.Event) string {
	return cmp.Or(ev.Section, "steps") + "/" + ev.Step
}

// log keeps a process output line for its step, or prints a control.log
// message at info and above.
func (v *liveView) log(ev engine.Event) {
	if ev.Stream == "" { // a message, not process output
		if ev.Level == "debug" {
			return
		}
		mark := v.p.dim("›")
		switch ev.Level {
		case "warn":
			mark = v.p.yellow("!")
		case "error":
			mark = v.p.red("!")
		}
		// A message of several lines (the tail of a log) keeps them,
		// each cleaned of controls, under its first, indented.
		msg := strings.Split(strings.TrimRight(ev.Message, "\r\n"), "\n")
		lines := make([]string, len(msg))
		lines[0] = fmt.Sprintf("%s %s  %s", mark, v.p.dim(ev.Step), termtext.Line(msg[0]))
		for i, l := range msg[1:] {
			lines[i+1] = "    " + termtext.Line(l)
		}
		v.print(lines...)
		return
	}
	s := v.running[ev.Step]
	if s == nil || v.quiet {
		return
	}
	line := termtext.Line(ev.Message)
	if ev.Label != "" { // user data, cleaned as the message is
		line = "[" + termtext.Line(ev.Label) + "] " + line
	} else if ev.Index != nil {
		line = fmt.Sprintf("[%d] %s", *ev.Index, line)
	}
	if len(s.lines) >= maxKeptLines {
		copy(s.lines, s.lines[1:])
		s.lines = s.lines[:len(s.lines)-1]
		s.cut++
	}
	s.lines = append(s.lines, line)
}

// Write puts what others write to the terminal while the view is shown (a
// signal's notice, a warning) above the block as permanent lines: written
// under it, the next redraw, which moves up by the block's own height and
// clears down, would erase it. A line waits for its end. While a question
// is asked, lines are held until it is answered, as print holds them: the
// question itself is written through terminal. Once the view is closed,
// writes go straight through.
func (v *liveView) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed() {
		return v.w.Write(p)
	}
	v.pending = append(v.pending, p...)
	i := bytes.LastIndexByte(v.pending, '\n')
	if i < 0 {
		return len(p), nil
	}
	lines := strings.Split(string(v.pending[:i]), "\n")
	v.pending = append(v.pending[:0], v.pending[i+1:]...)
	v.print(lines...)
	return len(p), nil
}

func (v *liveView) closed() bool {
	select {
	case <-v.stop:
		return true
	default:
		return false
	}
}

// print writes permanent lines above the block. While a question is
// asked they are held until it is answered: the question is the last
// line on the screen, the cursor after it, so clearing the block, which
// clears from the start of the cursor's line down, would erase it. (An
// event the engine sent before the question can reach the view after it
// is shown, so this happens even with steps run one at a time.)
func (v *liveView) print(lines ...string) {
	if v.closed() { // no block to keep below them any more
		for _, l := range lines {
			fmt.Fprintf(v.w, "%s\n", l)
		}
		return
	}
	if v.paused {
		v.held = append(v.held, lines...)
		return
	}
	v.clear()
	for _, l := range lines {
		fmt.Fprintf(v.w, "%s\n", l)
	}
	v.redraw()
}

// pause stops redrawing and printing and clears the block, so that a
// question asked on the terminal stays visible until it is answered;
// resume prints what was held meanwhile and starts again.
func (v *liveView) pause() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clear()
	v.paused = true
}

func (v *liveView) resume() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.paused = false
	if held := v.held; len(held) > 0 {
		v.held = nil
		v.print(held...)
	}
}

// release ends a pause for a process about to exit at once (a second
// signal) while a question is asked: the question's line is ended, what
// was held is printed, and what comes next (why it exits, the steps still
// running) is written as when no question is asked, rather than held for
// an answer that will never come.
func (v *liveView) release() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.paused {
		return
	}
	fmt.Fprintln(v.w)
	v.paused = false
	if held := v.held; len(held) > 0 {
		v.held = nil
		v.print(held...)
	}
}

// terminal returns a writer straight to the terminal, for the question
// asked while the view is paused and for what ends it: through Write, it
// would be held until the question is answered.
func (v *liveView) terminal() io.Writer { return pausedWriter{v} }

type pausedWriter struct{ v *liveView }

func (p pausedWriter) Write(b []byte) (int, error) {
	p.v.mu.Lock()
	defer p.v.mu.Unlock()
	return p.v.w.Write(b)
}

// redraw draws the block of running steps; v.mu is held.
func (v *liveView) redraw() {
	if v.paused || v.closed() {
		return
	}
	if len(v.drawn) == 0 && len(v.running) == 0 {
		// Nothing on the screen to clear and nothing to draw (the run
		// waits for its concurrency group, or between two steps): write
		// nothing, rather than the clearing codes ten times a second,
		// which erased what was typed ahead and filled a recorded
		// terminal's log while a run waited its turn.
		return
	}
	v.clear()
	if len(v.running) == 0 {
		return
	}
	ids := make([]string, 0, len(v.running))
	for id := range v.running {
		ids = append(ids, id)
	}
	// In the order they started, which is the playbook's for steps that
	// start together: a step's row stays where it is while others come
	// and go, and "restart-10" is not drawn above "restart-2".
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(v.running[a].seq, v.running[b].seq) })
	now := v.eventsNow()
	var rows []string
	for _, id := range ids {
		s := v.running[id]
		p := termtext.Line(id)
		if s.name != "" && s.name != id {
			p += " (" + termtext.Line(s.name) + ")"
		}
		p += " " + report.FormatMS(max(0, now.Sub(s.start).Milliseconds()))
		if s.items > 0 {
			p += fmt.Sprintf(" %d/%d", s.done, s.items)
			if s.fails > 0 {
				p += fmt.Sprintf(" (%d failed)", s.fails)
			}
		}
		if s.batch != "" {
			p += "  " + s.batch
		}
		p += retryNote(s, now)
		rows = append(rows, "⋯ "+p)
		if v.quiet {
			continue
		}
		from := max(0, len(s.lines)-tailLines)
		for _, l := range s.lines[from:] {
			rows = append(rows, "    "+l)
		}
	}
	if v.quiet {
		rows = []string{"running: " + strings.Join(func() []string {
			out := make([]string, len(rows))
			for i, r := range rows {
				out[i] = strings.TrimPrefix(r, "⋯ ")
			}
			return out
		}(), ", ")}
	}
	if len(rows) > v.rows {
		n := len(rows) - v.rows + 1
		rows = append(rows[:v.rows-1], fmt.Sprintf("… %d more lines", n))
	}
	for i, r := range rows {
		// By columns: accented or wide text takes fewer or more of them
		// than its bytes.
		if termtext.Width(r) > v.width-1 {
			r = termtext.HeadWidth(r, v.width-2) + "…"
		}
		v.drawn = append(v.drawn, termtext.Width(r))
		if i < len(rows)-1 {
			fmt.Fprintf(v.w, "%s\n", v.p.dim(r))
		} else {
			fmt.Fprint(v.w, v.p.dim(r))
		}
	}
}

// close stops redrawing and clears the block. It is idempotent.
func (v *liveView) close() {
	v.mu.Lock()
	select {
	case <-v.stop:
		v.mu.Unlock()
		return
	default:
		close(v.stop)
	}
	v.mu.Unlock()
	v.wg.Wait()
	v.mu.Lock()
	v.clear()
	for _, l := range v.held { // closed while a question was asked
		fmt.Fprintf(v.w, "%s\n", l)
	}
	v.held = nil
	if len(v.pending) > 0 {
		v.w.Write(v.pending)
		v.pending = nil
	}
	v.mu.Unlock()
}
