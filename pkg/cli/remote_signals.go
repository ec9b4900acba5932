package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// This file is what SIGINT, SIGTERM and SIGHUP do to a run followed on a
// server: the first cancels it there, a later one exits at once.

// signals cancels the followed run on the first of runSignals; the stream
// goes on to show the run's end. When the server answers that the run
// already ended (409), the context's cause is an *endedCause instead:
// follow stops waiting for the stream and takes the run's report. Another
// signal within sameRequest of the first is the same request; one after
// that exits at once with its code, as run does, whatever the server
// does meanwhile (a server that stopped answering would otherwise hold
// the command for ever). hangUp cancels the run as SIGHUP would, for a
// terminal that went away without one (see signalWatch.hangUp); it
// returns the error a question given up for it ends with.
func (r *remote) signals(runID string) (ctx context.Context, stop func(), hangUp func(why string) error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	var asked sync.WaitGroup
	w := watchSignals(r.e.stderr, func(s os.Signal) {
		fmt.Fprintf(r.e.stderr, "%s: %s right after the first: %s\n", program, signalName(s), sameRequestMsg)
	}, func(c *signalCause) {
		fmt.Fprintf(r.e.stderr, "\n%s: %s: cancelling run %s (again to exit at once)\n", program, c.Error(), runID)
		// Asked apart, so that a signal after it is heard while the
		// server is slow to answer.
		asked.Add(1)
		go func() {
			defer asked.Done()
			r.cancelRun(runID, c, cancel)
		}()
	}, func(first, c *signalCause) {
		fmt.Fprintf(r.e.stderr, "%s: %s, then by %s: exiting now; run %s may still be going on the server: see 'arsenal-run remote runs' or GET %s/api/v1/runs/%s\n",
			program, first.Error(), signalName(c.sig), runID, r.base, url.PathEscape(runID))
		os.Exit(c.code)
	})
	hangUp = func(why string) error { return ops.WithClass(ops.ClassCancelled, w.hangUp(why)) }
	return ctx, func() {
		w.stop()
		asked.Wait()
		cancel(nil)
	}, hangUp
}

// cancelRun asks the server to cancel the run, then ends ctx with sig as
// its cause, or with an *endedCause when the run had already ended.
func (r *remote) cancelRun(runID string, sig *signalCause, cancel context.CancelCauseFunc) {
	cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer ccancel()
	if _, err := r.call(cctx, "POST", "/api/v1/runs/"+url.PathEscape(runID)+"/cancel", nil, nil); err != nil {
		if beingCancelled(err) {
			// Someone else cancelled it first: it ends as asked, and
			// the stream shows its end.
			fmt.Fprintf(r.e.stderr, "%s: run %s is being cancelled already\n", program, termtext.Line(runID))
			cancel(sig)
			return
		}
		r.errorText("cancel: ", err)
		if alreadyEnded(err) {
			cancel(&endedCause{err: err})
			return
		}
		// Any other refusal (a run another arsenal-run process holds,
		// say) leaves the run going: the stream goes on to its end.
		// A request that failed on the way may have been heard.
		what := "may not be cancelled"
		var ae *apiError
		if errors.As(err, &ae) && ae.status >= 400 && ae.status < 500 {
			what = "was not cancelled"
		}
		fmt.Fprintf(r.e.stderr, "%s: run %s %s: following it to its end (again to exit at once)\n", program, termtext.Line(runID), what)
	}
	cancel(sig)
}

// alreadyEnded reports whether err is the server's 409 to a cancel of a
// run that has ended: its reason says so. Other 409s (a run held by
// another process) are about a run that goes on.
func alreadyEnded(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == http.StatusConflict && ae.Reason == "ended"
}

// endedCause ends the following of a run that the server said already
// ended when this command asked to cancel it: no signal of this command
// cancelled it, so its exit code is the run's own.
type endedCause struct{ err error }

func (c *endedCause) Error() string { return c.err.Error() }

// Unwrap makes the cause count as a cancellation.
func (c *endedCause) Unwrap() error { return context.Canceled }
