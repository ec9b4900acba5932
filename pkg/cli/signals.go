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
type terminalConfirmer struct {
	mu   sync.Mutex
	in   *bufio.Reader
	out  io.Writer
	view *liveView // paused while a question waits for its answer
}

func (t *terminalConfirmer) Confirm(ctx context.Context, step, question string) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.view != nil {
		t.view.pause()
		defer t.view.resume()
	}
	fmt.Fprintf(t.out, "\n%s [step %s] (y/N) ", question, step)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := t.in.ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil && a.line == "" {
			return false, a.err
		}
		s := strings.ToLower(strings.TrimSpace(a.line))
		return s == "y" || s == "yes", nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}
