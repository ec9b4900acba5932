package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
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

// signalCause cancels a run on SIGINT or SIGTERM.
type signalCause struct {
	sig  os.Signal
	code int
}

func (s *signalCause) Error() string { return "interrupted by " + signalName(s.sig) }

// Unwrap makes the cause count as a cancellation.
func (s *signalCause) Unwrap() error { return context.Canceled }

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// signals cancels the returned context on the first SIGINT or SIGTERM, so
// the run stops its steps, runs finally and writes its report; a second
// signal exits at once (the report on disk is still whole: it is only ever
// replaced by rename).
func (r *runner) signals() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case s := <-ch:
			c := &signalCause{sig: s, code: ExitInterrupted}
			if s == syscall.SIGTERM {
				c.code = ExitTerminated
			}
			fmt.Fprintf(r.e.stderr, "\n%s: %s: cancelling the run (again to exit at once)\n", program, c.Error())
			cancel(ops.WithClass(ops.ClassCancelled, c))
			select {
			case s := <-ch:
				code := ExitInterrupted
				if s == syscall.SIGTERM {
					code = ExitTerminated
				}
				os.Exit(code)
			case <-done:
			}
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
		cancel(nil)
	}
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
// the confirmation must follow the question it confirms.
type terminalConfirmer struct {
	mu   sync.Mutex // one question at a time
	in   io.Reader
	out  io.Writer
	view *liveView // paused while a question waits for its answer

	start   sync.Once
	lines   chan stdinLine // closed when stdin ends
	readErr error          // why stdin ended; set before lines is closed
}

// stdinLine is one line read from stdin and when it arrived.
type stdinLine struct {
	text string
	at   time.Time
}

// read is the goroutine that owns stdin.
func (t *terminalConfirmer) read() {
	r := bufio.NewReader(t.in)
	for {
		s, err := r.ReadString('\n')
		if s != "" {
			t.lines <- stdinLine{text: s, at: time.Now()}
		}
		if err != nil {
			t.readErr = err
			close(t.lines)
			return
		}
	}
}

func (t *terminalConfirmer) Confirm(ctx context.Context, step, question string) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.start.Do(func() {
		t.lines = make(chan stdinLine)
		go t.read()
	})
	if t.view != nil {
		t.view.pause()
		defer t.view.resume()
	}
	asked := time.Now()
	// The question is interpolated and may hold text from anywhere (an
	// HTTP body, a file): escape sequences in it could rewrite what the
	// person reads, so they are removed.
	fmt.Fprintf(t.out, "\n%s [step %s] (y/N) ", termtext.Clean(question), termtext.Line(step))
	for {
		select {
		case l, ok := <-t.lines:
			if !ok {
				return false, t.readErr
			}
			if l.at.Before(asked) {
				continue // typed before the question
			}
			s := strings.ToLower(strings.TrimSpace(l.text))
			return s == "y" || s == "yes", nil
		case <-ctx.Done():
			return false, context.Cause(ctx)
		}
	}
}

// syncWriter serialises writes from concurrent steps.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// processLog writes the live output of processes as log lines.
type processLog struct{ w io.Writer }

func (p processLog) Write(b []byte) (int, error) {
	line, _ := json.Marshal(map[string]string{"level": "info", "message": strings.TrimRight(string(b), "\n")})
	if _, err := p.w.Write(append(line, '\n')); err != nil {
		return 0, err
	}
	return len(b), nil
}
