package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// startWait is the context of a daemon's (schedule's, serve's) wait for
// another process opening its state dir, which lasts up to 30 s: SIGTERM
// or SIGINT ends it at once, with the signal as the context's cause, so
// that the error names it and the exit code is that signal's (143 for
// SIGTERM, as a daemon's later stop by it would be, 130 for SIGINT). A
// supervisor that stops a daemon with SIGTERM reads 130 as a Ctrl-C.
// stop ends the watch; signals after it are the daemon's own to handle.
func startWait() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		select {
		case s := <-sigs:
			cancel(&signalCause{sig: s, code: signalCode(s)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		select {
		case <-done:
		default:
			close(done)
		}
		<-ended
	}
}

// startStopCode is the exit code of a daemon whose start-up wait err
// ended: the signal's, when one stopped it (see startWait), and ok false
// otherwise.
func startStopCode(ctx context.Context, err error) (code int, ok bool) {
	if !errors.Is(err, context.Canceled) {
		return 0, false
	}
	var sig *signalCause
	if errors.As(context.Cause(ctx), &sig) {
		return sig.code, true
	}
	return ExitInterrupted, true
}
