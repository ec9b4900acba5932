package cli

import (
	"context"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// serveUntilStopped serves until srv fails or SIGTERM or SIGINT comes on
// sigs (SIGHUP reloads), then stops: the scheduler first (stop), then the
// server, the scheduled runs, the queue and the runs still going, all
// within --grace. It returns the exit code.
func (d *daemon) serveUntilStopped(srv *server.Server, sched *schedules, mgr *runs.Manager, audit *auth.AuditLog, sigs chan os.Signal, served chan error, stop func()) int {
	o := d.o
	code := ExitOK
loop:
	for {
		select {
		case err := <-served:
			if err != nil {
				d.errorf("serving: %v", err)
				code = ExitFailed
			}
			break loop
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				// A rotated audit log (renamed away) is written anew
				// at its path, whatever the reload makes of the files.
				if err := audit.Reopen(); err != nil {
					d.warnf("SIGHUP: %v", err)
				}
				d.reload(srv, sched)
				continue
			}
			d.infof("%s: no new requests; draining those in flight for up to %s", signalName(sig), short.Duration(o.grace))
			break loop
		}
	}
	stopAt := time.Now() // the grace starts
	stop()               // the scheduler fires no more, or stops standing by
	// Signals while stopping change nothing, and say so: a second
	// SIGTERM from an impatient operator or systemd is not lost in
	// silence.
	stopped := make(chan struct{})
	defer close(stopped)
	// cancelled is set once the runs still going are cancelled: a signal
	// then is told that the wait is for their handlers, not the grace.
	var cancelled atomic.Bool
	go func() {
		for {
			select {
			case sig := <-sigs:
				if sig == syscall.SIGHUP {
					d.warnf("SIGHUP while stopping: not reloading")
				} else if cancelled.Load() {
					d.warnf("%s", handlersMsg(sig, "serve"))
				} else {
					d.warnf("%s", graceLeftMsg(sig, o.grace, time.Since(stopAt)))
				}
			case <-stopped:
				return
			}
		}
	}()
	// No new request from now on, /healthz included, while the requests
	// in flight and the scheduled runs share the one --grace: a balancer
	// must not send runs here, to be cancelled once the grace is over.
	gctx, cancel := context.WithTimeout(context.Background(), o.grace)
	defer cancel()
	if err := srv.Shutdown(gctx); err != nil {
		d.warnf("%v", err)
	}
	if code == ExitOK {
		<-served
	}
	sched.wait()
	// The queue takes no more jobs; the runs it runs here end with the
	// manager's shutdown below, and their jobs with them.
	var queueStopped chan struct{}
	if d.q != nil {
		queueStopped = make(chan struct{})
		go func() {
			defer close(queueStopped)
			qctx, qcancel := context.WithTimeout(context.Background(), o.grace)
			defer qcancel()
			d.q.Stop(qctx)
		}()
	}
	// Runs still going are cancelled now: their finally steps run and
	// they are recorded cancelled before the process exits.
	now, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	cancelled.Store(true)
	if active := len(mgr.Active()); active > 0 {
		d.warnf("cancelling %s still going; exiting once their on_cancel and finally steps have ended", plural(active, "run", "runs"))
	}
	mgr.Shutdown(now)
	if queueStopped != nil {
		<-queueStopped
	}
	// Not a bare "stopped": the scheduler's own line says that of it.
	d.infof("stopped: every run has ended; serve exits")
	return code
}
