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

	"github.com/rs/zerolog"

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
// returns the error a question given up for it ends with. cause waits
// for the cancel a signal asked for to be answered, then returns ctx's
// cause: the stream may show the run cancelled before the server answers
// the cancel that stopped it, and the run's exit code is the signal's.
func (r *remote) signals(runID string) (ctx context.Context, stop func(), hangUp func(why string) error, cause func() error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	var asked sync.WaitGroup
	w := watchSignals(r.e.stderr, func(s os.Signal) {
		r.notice(zerolog.WarnLevel, runID, fmt.Sprintf("%s: %s right after the first: %s\n", program, signalName(s), sameRequestMsg),
			sameRequestMsg, str("signal", signalName(s)))
	}, func(c *signalCause) {
		r.notice(zerolog.WarnLevel, runID, fmt.Sprintf("\n%s: %s: cancelling run %s (again to exit at once)\n", program, c.Error(), runID),
			"cancelling the run on the server (again to exit at once)", str("signal", signalName(c.sig)), str("cause", c.Error()))
		// Asked apart, so that a signal after it is heard while the
		// server is slow to answer.
		asked.Add(1)
		go func() {
			defer asked.Done()
			r.cancelRun(runID, c, cancel)
		}()
	}, func(first, c *signalCause) {
		see := fmt.Sprintf("see 'arsenal-run remote runs' or GET %s/api/v1/runs/%s", r.base, url.PathEscape(runID))
		r.notice(zerolog.WarnLevel, runID, fmt.Sprintf("%s: %s, then by %s: exiting now; run %s may still be going on the server: %s\n",
			program, first.Error(), signalName(c.sig), runID, see),
			"exiting now; the run may still be going on the server", str("signal", signalName(c.sig)), str("cause", first.Error()+", then by "+signalName(c.sig)), str("hint", see))
		os.Exit(c.code)
	})
	hangUp = func(why string) error { return ops.WithClass(ops.ClassCancelled, w.hangUp(why)) }
	cause = func() error {
		asked.Wait()
		return context.Cause(ctx)
	}
	return ctx, func() {
		w.stop()
		asked.Wait()
		cancel(nil)
	}, hangUp, cause
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
			r.notice(zerolog.WarnLevel, runID, fmt.Sprintf("%s: run %s is being cancelled already\n", program, termtext.Line(runID)), "the run is being cancelled already")
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
		r.notice(zerolog.WarnLevel, runID, fmt.Sprintf("%s: run %s %s: following it to its end (again to exit at once)\n", program, termtext.Line(runID), what),
			"the run "+what+": following it to its end (again to exit at once)")
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
