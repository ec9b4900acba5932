package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// exitCode maps a run's outcome to the process's exit code.
func exitCode(rep *report.Report, cause error) int {
	var sig *signalCause
	if errors.As(cause, &sig) && rep.Status == report.StatusCancelled {
		return sig.code
	}
	switch rep.Status {
	case report.StatusSucceeded:
		return ExitOK
	case report.StatusCancelled:
		return ExitInterrupted
	}
	if rep.Error != nil && rep.Error.Class == string(ops.ClassAuthorization) {
		return ExitDenied
	}
	return ExitFailed
}

// signalCause cancels a run on SIGINT, SIGTERM or SIGHUP, or on a hangup
// no signal told of (see signalWatch.hangUp).
type signalCause struct {
	sig  os.Signal
	code int
	why  string // what happened, when it was not the signal itself
}

func (s *signalCause) Error() string {
	if s.why != "" {
		return s.why
	}
	return "interrupted by " + signalName(s.sig)
}

// Unwrap makes the cause count as a cancellation.
func (s *signalCause) Unwrap() error { return context.Canceled }

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return "SIGINT"
}

// runSignals are the signals that cancel a run (run, remote run --follow).
// SIGHUP is among them: the terminal or SSH session that started the run
// went away, and its default, killing the process, would skip finally and
// the report. The daemons (serve, schedule) take SIGHUP as reload instead.
// Under nohup, which starts the process with SIGHUP ignored, a hangup
// stays ignored and the run goes on, as the user asked.
func runSignals() []os.Signal {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	return sigs
}

// Signal handling times.
const (
	// sameRequest is how long after the first signal another one is taken
	// as part of the same request: GNU timeout, a process-group kill or a
	// supervisor can deliver two signals a few milliseconds apart.
	sameRequest = time.Second
	// lastReport is how long a repeated signal waits at most for the
	// report to be written before the process exits; it exits as soon as
	// the report is written, in a few milliseconds on an idle machine, but
	// a machine busy with an incident can take a few hundred.
	lastReport = 500 * time.Millisecond
)

// signals cancels the returned context on the first of runSignals, so
// the run stops its steps, runs finally and writes its report. Another
// signal within sameRequest of the first is the same request and changes
// nothing. A signal after that exits at once, with the code of that
// signal; first it gives the report lastReport to be written: the one the
// run is writing if it got that far, else one built from the run's
// progress, with status cancelled. (A report on disk is never torn: it is
// only ever replaced by rename.)
//
// When pb has on_cancel or finally steps, the first signal says that the
// run waits for them (handlersWaitMsg).
//
// hangUp cancels the run as SIGHUP would, for a terminal that went away
// without one; it returns the error a question given up for it ends with.
func (r *runner) signals(pb *steps.Playbook) (ctx context.Context, stop func(), hangUp func(why string) error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	w := watchSignals(r.e.stderr, func(s os.Signal) {
		r.notice(zerolog.WarnLevel, fmt.Sprintf("%s: %s right after the first: %s\n", program, signalName(s), sameRequestMsg),
			sameRequestMsg, str("signal", signalName(s)))
	}, func(c *signalCause) {
		r.notice(zerolog.WarnLevel, fmt.Sprintf("\n%s: %s: %s\n", program, c.Error(), cancellingMsg),
			cancellingMsg, str("signal", signalName(c.sig)), str("cause", c.Error()))
		cancel(ops.WithClass(ops.ClassCancelled, c))
		if msg := handlersWaitMsg(pb, c.sig); msg != "" {
			r.notice(zerolog.WarnLevel, program+": "+msg+"\n", msg, str("signal", signalName(c.sig)))
		}
	}, func(first, c *signalCause) {
		r.notice(zerolog.WarnLevel, fmt.Sprintf("%s: %s again: exiting now\n", program, signalName(c.sig)),
			"exiting now", str("signal", signalName(c.sig)), str("cause", first.Error()+", then by "+signalName(c.sig)))
		r.exitNow(first.Error()+", then by "+signalName(c.sig), c.code)
	})
	hangUp = func(why string) error {
		c := w.hangUp(why) // ctx has ended, with c unless a signal came first
		// Cancelled now, not by whoever watches ctx: the question's step
		// must find its run cancelled, or the run could end first, failed.
		r.handleMu.Lock()
		h := r.handle
		r.handleMu.Unlock()
		if h != nil {
			h.Cancel(context.Cause(ctx))
		}
		return ops.WithClass(ops.ClassCancelled, c)
	}
	return ctx, func() {
		w.stop()
		cancel(nil)
	}, hangUp
}

// signalWatch calls its front end's handlers for runSignals, until stop.
type signalWatch struct {
	ch   chan os.Signal
	lost chan lostTerminal // hangups no signal told of
	done chan struct{}
	wg   sync.WaitGroup
}

// lostTerminal is a hangUp for the watch to take in; taken is closed once
// it has.
type lostTerminal struct {
	c     *signalCause
	taken chan struct{}
}

// hangUp is a SIGHUP for a terminal that went away without one: reading
// a confirm: question's answer failed (EIO, once the terminal hung up),
// and the SIGHUP that usually comes with it may never come (a shell that
// ignores it passes none on, a pseudo-terminal closed by a program that
// is not the session's). Nobody is left to answer, so the run is
// cancelled, as the hangup would have cancelled it, and exits 129; why
// says what happened. Unless a signal came first, it counts as the first
// one, and the front end's first handler has run when it returns. It
// returns the hangup's cause.
func (w *signalWatch) hangUp(why string) *signalCause {
	l := lostTerminal{c: &signalCause{sig: syscall.SIGHUP, code: ExitHangup, why: why}, taken: make(chan struct{})}
	select {
	case w.lost <- l:
		<-l.taken
	case <-w.done:
	}
	return l.c
}

// The words of run's notices of signals.
const (
	cancellingMsg  = "cancelling the run (again to exit at once)"
	sameRequestMsg = "the run is already being cancelled"
)

// watchSignals calls first with the first of runSignals. Another signal
// within sameRequest of it is the same request: same is called with it,
// to tell that it changes nothing. On one after that, what stderr shows is finished (a
// question nobody will answer now, the live view's block) and again is
// called with both causes; again exits the process.
func watchSignals(stderr io.Writer, same func(s os.Signal), first func(c *signalCause), again func(first, c *signalCause)) *signalWatch {
	w := &signalWatch{ch: make(chan os.Signal, 4), lost: make(chan lostTerminal), done: make(chan struct{})}
	signal.Notify(w.ch, runSignals()...)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		var firstAt time.Time
		var firstCause *signalCause
		for {
			select {
			case s := <-w.ch:
				c := &signalCause{sig: s, code: signalCode(s)}
				switch {
				case firstCause == nil:
					firstAt, firstCause = time.Now(), c
					first(c)
				case time.Since(firstAt) < sameRequest:
					same(s)
				default:
					if v, ok := stderr.(interface{ finish() }); ok {
						v.finish()
					}
					again(firstCause, c)
				}
			case l := <-w.lost:
				if firstCause == nil {
					firstAt, firstCause = time.Now(), l.c
					first(l.c)
				}
				close(l.taken)
			case <-w.done:
				return
			}
		}
	}()
	return w
}

// stop ends the watch; no handler runs once it has returned.
func (w *signalWatch) stop() {
	signal.Stop(w.ch)
	close(w.done)
	w.wg.Wait()
}

// outlivePipes keeps the process going when its output is a pipe whose
// reader went away (`arsenal-run run … | head`): by default the first
// write to it kills the process with SIGPIPE, which would stop a run
// halfway, its finally and its report not done. Caught (not ignored, which
// the commands of shell steps would inherit), SIGPIPE only makes such a
// write fail, and the run goes on to its end. It lasts as long as the
// process.
func outlivePipes() {
	pipeOnce.Do(func() { signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE) })
}

var pipeOnce sync.Once

func signalCode(s os.Signal) int {
	switch s {
	case syscall.SIGTERM:
		return ExitTerminated
	case syscall.SIGHUP:
		return ExitHangup
	}
	return ExitInterrupted
}

// exitNow ends the process with code for a repeated signal, after giving
// the report at most lastReport to be written; cause says what happened.
// Once it is written, the summary of the run so far (what ran, what the
// exit cut) and the command that resumes it are shown, as at a run's end.
func (r *runner) exitNow(cause string, code int) {
	written := make(chan struct{})
	var rep *report.Report
	go func() {
		defer close(written)
		r.handleMu.Lock()
		h := r.handle
		r.handleMu.Unlock()
		if h == nil {
			return
		}
		var running []string
		var errs []error
		rep, running, errs = h.WriteNow(cause)
		for _, err := range errs {
			r.noticef(zerolog.ErrorLevel, "%v", err)
		}
		if len(running) > 0 {
			msg := "exited while these steps ran; what they started (a remote program, a child process) may still be running, so check before running again"
			r.notice(zerolog.ErrorLevel, fmt.Sprintf("%s: %s:\n  %s\n", program, msg, strings.Join(running, "\n  ")),
				msg, str("running", strings.Join(running, "; ")))
		}
	}()
	select {
	case <-written:
		if rep != nil {
			report.WriteTextFit(r.e.stdout, rep, termWidth(r.e.stdout))
			r.writeResumeHint(rep)
		}
	case <-time.After(lastReport):
		r.noticef(zerolog.ErrorLevel, "the report could not be written within %s; exiting without it", short.Duration(lastReport))
	}
	r.gh.resume() // the job's later commands must not stay stopped
	os.Exit(code)
}

// terminalConfirmer asks confirm: questions on the terminal, one at a time.
//
// One goroutine owns stdin: started with the first question, it reads it
// line by line and hands each line to the question waiting for it. A
// question given up while it waits (the run was cancelled by SIGINT)
// leaves no reader of its own behind that would swallow the answer to the
// next one, and stdin is never read by two goroutines at once. The reader
// ends when stdin does; while stdin stays open it lives as long as the
// process, blocked in read, which nothing can interrupt portably.
//
// A line typed before a question was shown is not taken as its answer:
// the confirmation must follow the question it confirms. Lines the reader
// got before the question are dated by when they arrived and dropped;
// lines a terminal still holds, which nobody read yet (all of them before
// the first question, when the reader has not started), are dropped by
// discardTypeahead when the question is shown.
type terminalConfirmer struct {
	mu   sync.Mutex // one question at a time
	in   io.Reader
	out  io.Writer
	view questionView // paused while a question waits for its answer
	// gate, when set, holds a question back until the view has shown the
	// events the run emitted before it.
	gate *askGate

	start   sync.Once
	lines   chan stdinLine // closed when stdin ends
	readErr error          // why stdin ended; set before lines is closed

	// hangUp, when set, cancels the run when reading the terminal fails
	// other than at its end (it went away), and gives the error the
	// question ends with; unset, that read error is returned.
	hangUp func(why string) error
}

// stdinLine is one line read from stdin and when it arrived.
type stdinLine struct {
	text string
	at   time.Time
}

// read is the goroutine that owns stdin.
func (t *terminalConfirmer) read() {
	src := &arrivalReader{r: t.in}
	r := bufio.NewReader(src)
	for {
		s, err := r.ReadString('\n')
		if s != "" {
			// Dated by its arrival, not by now: a line that came in the
			// same read as one still waiting to be handed over was typed
			// as early as that one, whenever it is handed over.
			t.lines <- stdinLine{text: s, at: src.last}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && hungUp(t.in) {
				// The end of input a hung-up terminal gives, not Ctrl-D.
				err = fmt.Errorf("%s hung up", t.in.(*os.File).Name())
			}
			t.readErr = err
			close(t.lines)
			return
		}
	}
}

func (t *terminalConfirmer) Confirm(ctx context.Context, step, question string) (bool, error) {
	var n int
	if t.gate != nil {
		n = t.gate.ask(step) // counted as it is asked, not as it is shown
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ctx.Err() != nil {
		// Given up while another question was being asked: not shown.
		return false, context.Cause(ctx)
	}
	if t.gate != nil {
		// What happened before the question, the step that just
		// finished, its output, is shown before it: the answer may
		// depend on it, and held back by the pause it would only show
		// after the answer.
		t.gate.wait(ctx, step, n)
		if ctx.Err() != nil {
			return false, context.Cause(ctx)
		}
	}
	out := t.out
	if t.view != nil {
		t.view.pause()
		defer t.view.resume()
		out = t.view.terminal()
	}
	// Typed ahead on the terminal and not read yet: not an answer. This
	// comes before the reader starts, which would otherwise read it after
	// the first question and date it then.
	discardTypeahead(t.in)
	asked := time.Now()
	t.start.Do(func() {
		t.lines = make(chan stdinLine)
		go t.read()
	})
	// The question is interpolated and may hold text from anywhere (an
	// HTTP body, a file): escape sequences in it could rewrite what the
	// person reads, so they are removed.
	fmt.Fprintf(out, "\n%s [step %s] (y/N) ", termtext.Clean(question), termtext.Line(step))
	for {
		select {
		case l, ok := <-t.lines:
			if !ok {
				if errors.Is(t.readErr, io.EOF) {
					// Ctrl-D, or input that ran out: no answer is the
					// default, no.
					fmt.Fprintln(out)
					return false, nil
				}
				if t.hangUp != nil {
					// Not the end of input: the terminal went away
					// (EIO). Nobody is left to answer this question or
					// the next: the run is cancelled as by its hangup.
					fmt.Fprintln(out)
					return false, t.hangUp(fmt.Sprintf("the terminal went away while a confirm: question waited (%v)", t.readErr))
				}
				return false, t.readErr
			}
			if l.at.Before(asked) {
				continue // typed before the question
			}
			switch s := strings.ToLower(strings.TrimSpace(l.text)); s {
			case "y", "yes":
				return true, nil
			case "", "n", "no":
				return false, nil
			default:
				// "ye", "yes please", "o": not taken either way, as a
				// tired hand may mean yes and a slip may mean no; asked
				// again, Enter alone still no.
				fmt.Fprintf(out, "answer y or n, not %q [step %s] (y/N) ", termtext.Line(s), termtext.Line(step))
			}
		case <-ctx.Done():
			// The question stays on the screen, unanswered; what comes
			// next (the view's lines held meanwhile, a notice of why)
			// starts on a line of its own instead of clearing it.
			fmt.Fprintln(out)
			return false, context.Cause(ctx)
		}
	}
}

// hungUp reports whether in, a terminal whose reads came to their end,
// went away rather than was given Ctrl-D: once a terminal hangs up, its
// reads end as at Ctrl-D (or fail with EIO), but it is no terminal any
// more, since every other request to it fails.
func hungUp(in io.Reader) bool {
	f, ok := in.(*os.File)
	return ok && !isatty.IsTerminal(f.Fd())
}

// arrivalReader notes when its last read returned data.
type arrivalReader struct {
	r    io.Reader
	last time.Time
}

func (a *arrivalReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.last = time.Now()
	}
	return n, err
}
