package runs

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// State is where a run is in its life in this process.
type State string

// The states of a Handle. A run that ended has the status of its report.
const (
	StateQueued  State = "queued"
	StateRunning State = "running"
	StateEnded   State = "ended"
)

// Handle is a run started by a Manager. Its methods are safe for
// concurrent use.
type Handle struct {
	id      string
	trigger Trigger
	caller  Caller
	name    string // the playbook's name
	queued  time.Time
	dryRun  bool

	stream *Stream
	state  atomic.Value // State
	live   *liveRun     // nil for executed operations
	asker  *asker       // nil unless the run takes answers (Request.Ask)

	mu        sync.Mutex
	cancel    context.CancelCauseFunc // set once the run has a context
	cause     error                   // a Cancel before the run got its context
	cancelled chan struct{}           // closed by the first Cancel
	cancelOne sync.Mutex              // held by a CancelOnce
	rep       *report.Report
	runErr    error
	denied    []auth.StepDecision
	sinkErrs  []error

	// finishing is taken by whichever writes the reports first: the
	// service's finish, or WriteNow; finished is closed when finish is
	// done. emergency writes a report built from the run's progress.
	finishing    sync.Mutex
	finishedOnce sync.Once
	finished     chan struct{}
	emergency    func(cause string) (rep *report.Report, running []string, errs []error)
	// final is the report finish writes, for a WriteNow that waited.
	final    *report.Report
	refusal  string
	done     chan struct{}
	doneOnce sync.Once
	// warnings are about the run as a whole; set before the handle is
	// shared, never changed after.
	warnings []string
}

func newHandle(id string, req *Request) *Handle {
	h := &Handle{id: id, trigger: req.Caller.Trigger, caller: req.Caller, dryRun: req.DryRun, stream: NewStream(), done: make(chan struct{}), cancelled: make(chan struct{}), queued: time.Now()}
	h.state.Store(StateQueued)
	return h
}

// ID returns the run id.
func (h *Handle) ID() string { return h.id }

// Playbook returns the name of the playbook, once it is loaded.
func (h *Handle) Playbook() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.name
}

// RunPlaybook returns the playbook the run runs, as it was read when the
// run started; nil for an executed operation and before it is loaded. The
// file may have changed since: judge the run by this one.
func (h *Handle) RunPlaybook() *steps.Playbook {
	if h.live == nil {
		return nil
	}
	return h.live.pb
}

// Inputs returns the inputs the run was started with, resolved, as its
// report shows them: secret values masked. It is nil for an executed
// operation, whose handle keeps no inputs.
func (h *Handle) Inputs() map[string]any {
	if h.live == nil {
		return nil
	}
	h.live.mu.Lock()
	defer h.live.mu.Unlock()
	return maps.Clone(h.live.base.Inputs)
}

// Trigger says which front end started the run.
func (h *Handle) Trigger() Trigger { return h.trigger }

// DryRun tells whether the run is a dry run (never for an executed
// operation).
func (h *Handle) DryRun() bool { return h.dryRun }

// Caller returns who started the run.
func (h *Handle) Caller() Caller { return h.caller }

// QueuedAt is when the run was requested.
func (h *Handle) QueuedAt() time.Time { return h.queued }

// State says whether the run waits, runs or ended.
func (h *Handle) State() State { return h.state.Load().(State) }

// Status is the run's status for listings: queued or running while it is
// live, then the status of its report.
func (h *Handle) Status() string {
	switch h.State() {
	case StateQueued:
		return string(StateQueued)
	case StateRunning:
		return string(StateRunning)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rep != nil {
		return string(h.rep.Status)
	}
	return string(report.StatusFailed)
}

// Events returns the run's event stream; subscribe to it for the replay
// and the live events.
func (h *Handle) Events() *Stream { return h.stream }

// Cancel asks the run to stop: its running steps are cancelled, on_cancel
// and finally still run (on_failure does not), and the report says
// cancelled. A queued run never
// starts. Cancel is idempotent.
func (h *Handle) Cancel(cause error) {
	if cause == nil {
		cause = context.Canceled
	}
	if c := ops.ClassOf(cause); c != ops.ClassCancelled && c != ops.ClassTimeout {
		cause = ops.WithClass(ops.ClassCancelled, cause)
	}
	h.mu.Lock()
	cancel := h.cancel
	if h.cause == nil {
		h.cause = cause
		close(h.cancelled)
	}
	h.mu.Unlock()
	if cancel != nil {
		cancel(cause)
	}
}

// CancelOnce cancels the run as Cancel does unless it was cancelled
// already, when it returns false. before (writing the audit line, say)
// runs first, while concurrent CancelOnce calls wait; its error is
// returned and the run is not cancelled. Two callers cancelling at once
// thus see one of them do it.
func (h *Handle) CancelOnce(cause error, before func() error) (bool, error) {
	h.cancelOne.Lock()
	defer h.cancelOne.Unlock()
	select {
	case <-h.cancelled:
		return false, nil
	default:
	}
	if before != nil {
		if err := before(); err != nil {
			return false, err
		}
	}
	h.Cancel(cause)
	return true, nil
}

// Done is closed when the run has ended and its records are written.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Wait waits for the run to end, or for ctx, and returns its report. The
// error is non-nil when the run could not start at all (its report is
// then nil), or when ctx ended first.
func (h *Handle) Wait(ctx context.Context) (*report.Report, error) {
	select {
	case <-h.done:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rep, h.runErr
}

// Report returns the final report, or nil while the run is live.
func (h *Handle) Report() *report.Report {
	select {
	case <-h.done:
	default:
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rep
}

// Snapshot returns the run's report: the final one once the run ended;
// before, one with status queued or running and the steps so far, with
// their status, timing and error but not their outputs.
func (h *Handle) Snapshot() *report.Report {
	st := h.State()
	if st == StateEnded {
		<-h.done // end stores the state just before it closes done
		return h.Report()
	}
	if h.live == nil {
		return nil
	}
	status := StatusRunning
	if st == StateQueued {
		status = report.Status(StateQueued)
	}
	return h.live.snapshot(status)
}

// Denied returns the steps that the preflight denied, when it denied the
// run; the run's report then says so too.
func (h *Handle) Denied() []auth.StepDecision {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.denied
}

// Warnings are what was found wrong with the run as a whole before it
// started (its playbook's file changed since it was loaded, say), as
// its run_started event and report carry them.
func (h *Handle) Warnings() []string { return h.warnings }

// Refusal explains, when a grant was refused for this run (inputs the
// grant does not allow, a resumed report that cannot be verified), why and
// what to do; "" otherwise.
func (h *Handle) Refusal() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refusal
}

func (h *Handle) setRefusal(s string) {
	h.mu.Lock()
	h.refusal = s
	h.mu.Unlock()
}

func (h *Handle) setDenied(ds []auth.StepDecision) {
	h.mu.Lock()
	h.denied = ds
	h.mu.Unlock()
}

// cancelCtx returns a context already ended with the Cancel cause.
func (h *Handle) cancelCtx() context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(h.cause)
	return ctx
}

// bind gives the run its context; a Cancel that came first applies now.
func (h *Handle) bind(parent context.Context) context.Context {
	ctx, cancel := context.WithCancelCause(parent)
	h.setCancel(cancel)
	return ctx
}

// setCancel keeps the run context's cancel for Cancel; a Cancel that
// came first applies now.
func (h *Handle) setCancel(cancel context.CancelCauseFunc) {
	h.mu.Lock()
	h.cancel = cancel
	cause := h.cause
	h.mu.Unlock()
	if cause != nil {
		cancel(cause)
	}
}

func (h *Handle) setName(name string) {
	h.mu.Lock()
	h.name = name
	h.mu.Unlock()
}

// end records the outcome, closes the stream and wakes waiters.
func (h *Handle) end(rep *report.Report, err error) {
	h.doneOnce.Do(func() {
		h.mu.Lock()
		h.rep, h.runErr = rep, err
		if h.cancel != nil {
			h.cancel(context.Canceled) // release the context's resources
		}
		h.mu.Unlock()
		h.state.Store(StateEnded)
		h.stream.Close()
		close(h.done)
	})
}

// SinkErrors returns the problems writing the run's reports at its end;
// the run's outcome stands, but a front end should say so (the CLI exits 1
// when a run that succeeded lost a report).
func (h *Handle) SinkErrors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sinkErrs
}

func (h *Handle) setSinkErrors(errs []error) {
	h.mu.Lock()
	h.sinkErrs = errs
	h.mu.Unlock()
}

func (h *Handle) setEmergency(f func(cause string) (*report.Report, []string, []error)) {
	h.mu.Lock()
	h.emergency = f
	h.mu.Unlock()
}

func (h *Handle) finishedCh() chan struct{} {
	h.finishedOnce.Do(func() { h.finished = make(chan struct{}) })
	return h.finished
}

// WriteNow is for a process that must exit before the run ends (a
// repeated signal): when the run is already writing its reports it waits
// for that; otherwise it writes, to every sink, a report built from the
// run's events so far, with status cancelled and cause as its error. It
// returns the report written (the run's own when it was being written
// already; nil when the run had not started), the steps still running
// then, each with its operation and the items of it still running (what
// the exit may leave running: a remote program, a child process), and the
// problems writing. The caller bounds how long it waits.
func (h *Handle) WriteNow(cause string) (rep *report.Report, running []string, errs []error) {
	if !h.finishing.TryLock() {
		<-h.finishedCh()
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.final, nil, nil
	}
	h.mu.Lock()
	f := h.emergency
	h.mu.Unlock()
	if f == nil {
		return nil, nil, nil
	}
	return f(cause)
}

func (h *Handle) setFinal(rep *report.Report) {
	h.mu.Lock()
	h.final = rep
	h.mu.Unlock()
}
