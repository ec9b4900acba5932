package scheduler

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// CallerName is the caller name of scheduled runs in the audit log.
const CallerName = "scheduler"

// Component is the component field of the scheduler's log lines, and of
// the lines of the runs it started.
const Component = "scheduler"

// RunLauncher is the Launcher over the run service: each Job becomes a
// runs.Request for the job's playbook, started on a runs.Manager, with the
// scheduler's roles (a playbook cannot choose its own), the caller name
// CallerName, trigger schedule and the job's slot, so the history row of
// the run carries both. It adds no run logic of its own: the Manager
// admits, queues, runs, reports, records and audits the run as it does any
// other. The `schedule` command and the API server both run their
// scheduler through one.
//
// Build it with NewRunLauncher; set Watch before the scheduler starts.
// Launch and SetPolicy are safe for concurrent use.
type RunLauncher struct {
	manager *runs.Manager
	roles   []string
	policy  atomic.Pointer[auth.Policy]
	// host is where the runs start from, for the audit log's from: a
	// log shipped with other hosts' tells whose scheduler ran a step.
	host string

	// Watch, when set, is given every run the launcher starts, before
	// Launch returns, so that its events can be followed from the first
	// (runs.Stream.Observe, Handle.Events). It must not block. The channel
	// it returns, when not nil, is closed once the run is done and its
	// events are followed to the last: the run counts as ended only then,
	// so that the scheduler's "run ended" line comes after the lines of
	// the run's own events. The run has started, and may be emitting,
	// before the scheduler logs "run started" (it may wait for the
	// scheduler's lock, which a tick or a reload holds): the job's Logged
	// is closed once that line is written, or once the run ended without
	// starting, and a watcher writes the run's lines only then. Without a
	// watcher (serve, where the run service writes the run's lines), the
	// run itself, once it has its run slot, waits for Logged before it
	// runs (runs.Request.StartAfter), so its lines follow "run started"
	// too.
	Watch func(job Job, h *runs.Handle) <-chan struct{}
}

var _ Launcher = (*RunLauncher)(nil)

// NewRunLauncher returns a launcher that starts runs on m with roles,
// authorized by policy (nil: the service's policy).
func NewRunLauncher(m *runs.Manager, roles []string, policy *auth.Policy) *RunLauncher {
	host, _ := os.Hostname()
	l := &RunLauncher{manager: m, roles: append([]string(nil), roles...), host: host}
	l.policy.Store(policy)
	return l
}

// SetPolicy makes p the policy of the runs launched from now on (a reload
// of the policy file), and of those launched before that still wait for a
// run slot or their concurrency group: they are judged again by it as
// they start. Runs already running keep theirs.
func (l *RunLauncher) SetPolicy(p *auth.Policy) { l.policy.Store(p) }

// Launch implements Launcher. A request the run service refuses (a
// *runs.PrepareError: the playbook's inputs do not resolve, the roles are
// unknown) or cannot admit (runs.ErrQueueFull, runs.ErrShuttingDown) is
// an error: no run was started, and the scheduler records the slot as
// failed. A run that the preflight denies is started, and ends failed,
// recorded like any denied run.
func (l *RunLauncher) Launch(ctx context.Context, job Job) (Handle, error) {
	if job.Playbook == nil {
		return nil, errors.New("scheduler: a job without a playbook")
	}
	req := runs.Request{
		Playbook:    job.Playbook,
		FileChecked: job.File,
		Caller: runs.Caller{
			Roles:   append([]string(nil), l.roles...),
			Name:    CallerName,
			From:    l.host,
			Trigger: runs.TriggerSchedule,
			Slot:    job.Slot,
		},
		Policy: l.policy.Load(),
		// A run that waits for its slot across a reload starts under the
		// reloaded policy, or not at all.
		Recheck: func() (*auth.Policy, error) { return l.policy.Load(), nil },
		// Where the service logs the run's lines itself (serve), they
		// say which slot of the scheduler's they are, as its own do.
		LogFields: []string{"component", Component, "slot", job.Slot.Format(time.RFC3339)},
		// The scheduler logs the run's start, with its fire delay.
		StartLogged: true,
	}
	if l.Watch == nil {
		// The run service writes the run's lines itself (serve): the run
		// waits, once it has its run slot, for "run started" to be
		// written. A watcher (schedule) holds the lines back instead, so
		// that the run need not wait for the scheduler's lock.
		req.StartAfter = job.Logged
	}
	h, err := l.manager.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	rh := runHandle{h: h, m: l.manager}
	if l.Watch != nil {
		rh.followed = l.Watch(job, h)
	}
	return rh, nil
}

// runHandle is a runs.Handle as the scheduler sees it: done once the run
// is, and once its watcher has followed it to the end.
type runHandle struct {
	h        *runs.Handle
	m        *runs.Manager
	followed <-chan struct{} // nil: nobody follows the run
}

var _ Waiter = runHandle{}

func (r runHandle) ID() string               { return r.h.ID() }
func (r runHandle) Cancel(cause error)       { r.h.Cancel(cause) }
func (r runHandle) Started() <-chan struct{} { return r.m.Started(r.h) }
func (r runHandle) Withdraw() bool           { return r.m.Withdraw(r.h) }

// ranOut is closed once the run itself has ended, before its watcher
// may have followed it to the end (Done): a run that ends without
// starting has its Logged closed then, so that its watcher, which waits
// for Logged, can follow it to the end.
func (r runHandle) ranOut() <-chan struct{} { return r.h.Done() }

func (r runHandle) Done() <-chan struct{} {
	if r.followed != nil {
		return r.followed
	}
	return r.h.Done()
}

// Status is the status of the run's report; a run that ended without one
// (the engine could not run it at all) failed.
func (r runHandle) Status() report.Status {
	if rep := r.h.Report(); rep != nil && rep.Status != "" {
		return rep.Status
	}
	return report.StatusFailed
}

// StepMetrics is the step duration histogram of scheduled runs, by
// operation, fed from the runs' events: give it to
// runs.Stream.Observe (it is an engine.Observer). Operations come from
// the registry, so the op label is bounded. It is safe for concurrent use.
type StepMetrics struct {
	duration *prometheus.HistogramVec
}

var _ engine.Observer = (*StepMetrics)(nil)

// NewStepMetrics registers the histogram on reg (the scheduler's
// Registry, so that one /metrics shows both).
func NewStepMetrics(reg prometheus.Registerer) (*StepMetrics, error) {
	m := &StepMetrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "arsenal_schedule_step_duration_seconds",
		Help:    "Duration of the steps of scheduled runs that ran (not skipped or reused), by operation.",
		Buckets: []float64{0.001, 0.01, 0.1, 0.5, 1, 5, 30, 60, 300, 1800},
	}, []string{"op"})}
	if err := reg.Register(m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// Event implements engine.Observer: a step that finished after running
// counts its duration.
func (m *StepMetrics) Event(ev engine.Event) {
	if ev.Kind != engine.EventStepFinished || ev.Op == "" || ev.Attempts == 0 {
		return
	}
	m.duration.WithLabelValues(ev.Op).Observe(float64(ev.DurationMS) / 1000)
}
