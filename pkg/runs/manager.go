package runs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Errors of Manager.Start that a front end reports as such (the API answers
// 429 and 503).
var (
	ErrQueueFull    = errors.New("too many runs are waiting; try again later")
	ErrShuttingDown = errors.New("shutting down: no new runs are accepted")
)

// stopping is why Shutdown cancels the runs still going once its grace is
// over. It counts as ErrShuttingDown for the callers that test for it, but
// says what happened to a run that was running: "no new runs are
// accepted" is about runs that never started.
type stopping struct{}

func (stopping) Error() string {
	return "the service stopped while the run was going"
}

func (stopping) Is(target error) bool { return target == ErrShuttingDown }

// ErrWithdrawn ends a run that Manager.Withdraw took back before it
// started: it was neither recorded nor run.
var ErrWithdrawn = errors.New("withdrawn before it started")

// ErrNotClaimed ends a run of StartClaimed whose claim failed: it was
// neither recorded nor run here.
var ErrNotClaimed = errors.New("the run was not claimed here")

// Defaults of a Manager's limits.
const (
	DefaultMaxRunning = 8
	DefaultMaxQueued  = 64
)

// Manager owns every run of one process: it admits runs up to its limits,
// queues a bounded number more, finds runs by id, and shuts down cleanly.
// Every goroutine it starts ends before Shutdown returns. Its methods are
// safe for concurrent use.
type Manager struct {
	svc    *Service
	slots  chan struct{}
	maxQ   int
	ctx    context.Context // cancelled when Shutdown gives up waiting
	stop   context.CancelCauseFunc
	closed chan struct{} // closed when Shutdown begins

	mu      sync.Mutex
	queued  int
	runs    map[string]*Handle // live runs
	waiting map[*Handle]*waiter
	// execs are the executed operations going on (trackExec).
	execs map[*Handle]context.CancelCauseFunc
	ended []*Handle // the most recent ended runs, for lookups
	wg    sync.WaitGroup
	shut  bool
	onEnd []func(*Handle)
	// exec runs the runs' executions on goroutines kept between runs.
	exec *workers
}

// waiter is a run of Start that did not get a run slot at once, from
// Start to its end.
type waiter struct {
	started   chan struct{} // closed when the run takes its slot
	withdraw  chan struct{} // closed by Withdraw
	inGroup   bool          // waiting for its concurrency group: not withdrawn
	group     string        // that group, "" for none
	took      bool          // it took its slot: it starts
	withdrawn bool
	ended     bool // it stopped waiting without its slot: it is recorded so
	// settled is closed once the run took its slot, waits for its group
	// or a slot, or ended: Start of a group's run answers then (see
	// settle).
	settled     chan struct{}
	settledOnce sync.Once
}

// waitEnded ends the wait of w without a run slot (cancelled, or shut
// down) and reports whether Withdraw took it back first: then the run
// ends withdrawn, unrecorded, as Withdraw promised; else Withdraw answers
// false from now on, as the run is recorded the way it ended.
func (m *Manager) waitEnded(w *waiter) (withdrawn bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queued--
	w.ended = true
	return w.withdrawn
}

// closedCh is the Started of a run that took its slot at once.
var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// keepEnded is how many ended runs a Manager still answers Get for.
const keepEnded = 256

// NewManager returns a manager that runs requests with svc.
func NewManager(svc *Service, l Limits) *Manager {
	if l.MaxRunning <= 0 {
		l.MaxRunning = DefaultMaxRunning
	}
	switch {
	case l.MaxQueued == 0:
		l.MaxQueued = DefaultMaxQueued
	case l.MaxQueued < 0:
		l.MaxQueued = 0
	}
	ctx, stop := context.WithCancelCause(context.Background())
	closed := make(chan struct{})
	return &Manager{svc: svc, slots: make(chan struct{}, l.MaxRunning), maxQ: l.MaxQueued,
		ctx: ctx, stop: stop, closed: closed, runs: map[string]*Handle{}, waiting: map[*Handle]*waiter{},
		execs: map[*Handle]context.CancelCauseFunc{}, exec: newWorkers(svc, closed)}
}

// Service returns the service the manager runs requests with.
func (m *Manager) Service() *Service { return m.svc }

// Start prepares the request (loads and plans the playbook, resolves its
// inputs) and admits the run. Problems with the request itself come back
// as an error (*PrepareError), with no run. Otherwise the run goes on in
// the background: a preflight denial is a recorded run with status denied.
// Start returns ErrQueueFull or ErrShuttingDown when the run cannot be
// admitted.
func (m *Manager) Start(ctx context.Context, req Request) (*Handle, error) {
	return m.start(ctx, req, nil)
}

// Claim is the claim of a run of StartClaimed: it records start, the
// run's start as the run service records it, only if the run is still
// this process's to run, and fails otherwise. start has the playbook's
// name, path and sha256, the caller's roles, trigger, slot and name, the
// run's inputs masked as its report masks them, and whether it is a dry
// run: a store shared with other processes shows them from the claim on,
// and a claim must never write the inputs unmasked.
type Claim func(ctx context.Context, start history.Run) error

// StartClaimed is Start for a run that a queue shared with other
// processes handed to this one (Request.Requeue is then set too): the run
// may wait here for its concurrency group and a run slot, and meanwhile
// the queue may hand it to another process. claim is called once the run
// holds both, before anything else of it is recorded or run, with the
// run's start (see Claim); when it fails, the run ends there, neither
// recorded nor run, and Wait returns an error wrapping ErrNotClaimed and
// claim's. A run that ends while it waits (cancelled, skipped, or its
// group's wait failed, as it does when another process took its place
// over) is recorded only once claim succeeds, too.
func (m *Manager) StartClaimed(ctx context.Context, req Request, claim Claim) (*Handle, error) {
	return m.start(ctx, req, claim)
}

func (m *Manager) start(ctx context.Context, req Request, claim Claim) (*Handle, error) {
	p, err := m.svc.prepare(ctx, &req)
	if err != nil {
		return nil, err
	}
	h := newHandle(p.runID, &req)
	h.setName(p.plan.Playbook().Name)
	h.live = newLiveRun(p)
	h.asker = p.asker
	h.warnings = p.warnings

	// Authorize before admitting, so that the caller learns of a denial
	// at once: a denied run ends here, recorded, and never takes a slot.
	if m.closing() {
		return nil, ErrShuttingDown
	}
	if rep := m.svc.preflight(p, h); rep != nil {
		h.end(rep, nil)
		m.forget(h)
		return h, nil
	}

	m.mu.Lock()
	if m.shut {
		m.mu.Unlock()
		p.release()
		return nil, ErrShuttingDown
	}
	immediate := false
	// A run with a concurrency group waits for its group before it takes
	// a slot, so that runs waiting for a busy group leave the slots to
	// others.
	var free chan struct{}
	if p.group == "" {
		free = m.slots
	}
	select {
	case free <- struct{}{}:
		immediate = true
	default:
		// A run with a group is queued even when a slot is free; the
		// limit counts it only when it would have to wait for a slot.
		// The refusals read queued before the lock is let go: the runs
		// that take their slot change it.
		if m.queued >= m.maxQ && (p.group == "" || len(m.slots) == cap(m.slots)) {
			err := fmt.Errorf("%w (%d running, %d waiting)", ErrQueueFull, cap(m.slots), m.queued)
			m.mu.Unlock()
			p.release()
			return nil, err
		}
		if c := h.Caller(); c.Trigger == TriggerAPI && c.Name != "" {
			if n := m.callerWaiting(c); n >= max(1, m.maxQ/2) {
				err := fmt.Errorf("%w: %s holds %d of the %d places to wait in, the most one caller may (%d running, %d waiting)", ErrQueueFull, c.Name, n, m.maxQ, cap(m.slots), m.queued)
				m.mu.Unlock()
				p.release()
				return nil, err
			}
		}
		m.queued++
		m.waiting[h] = &waiter{started: make(chan struct{}), withdraw: make(chan struct{}), inGroup: p.group != "", group: p.group, settled: make(chan struct{})}
	}
	w := m.waiting[h]
	m.runs[h.id] = h
	m.wg.Add(1)
	m.mu.Unlock()

	go m.run(h, p, immediate, claim)
	if w != nil && p.group != "" {
		awaitSettled(ctx, w)
	}
	return h, nil
}

func (m *Manager) run(h *Handle, p *prepared, haveSlot bool, claim Claim) {
	defer m.wg.Done()
	defer m.forget(h)
	m.mu.Lock()
	w := m.waiting[h]
	m.mu.Unlock()
	defer w.settle()
	// The run's concurrency group is given up before the run is seen to
	// end, so that a run started once Wait returns finds it free.
	var hold *groupHold
	end := func(rep *report.Report, err error) {
		if hold != nil {
			hold.release()
		}
		h.end(rep, err)
	}
	// unclaimed ends the run, unrecorded, when its claim fails.
	unclaimed := func() bool {
		if claim == nil {
			return false
		}
		if err := claim(m.ctx, m.svc.startOf(p, h, time.Now())); err != nil {
			p.release()
			end(nil, fmt.Errorf("%w: %w", ErrNotClaimed, err))
			return true
		}
		return false
	}
	if p.group != "" {
		var claimGroup func() error
		if claim != nil {
			claimGroup = func() error { return claim(m.ctx, m.svc.startOf(p, h, time.Now())) }
		}
		var rep *report.Report
		var err error
		hold, rep, err = m.svc.acquireGroup(h, p, m.closed, claimGroup, m.mayCancel(h, p), w.settle)
		m.mu.Lock()
		w.inGroup = false
		m.mu.Unlock()
		if hold == nil {
			m.mu.Lock()
			m.queued--
			m.mu.Unlock()
			p.release()
			if rep == nil && err == nil { // shut down; the caller puts it back (Requeue)
				err = ErrShuttingDown
			}
			end(rep, err)
			return
		}
	}
	if !haveSlot {
		// took is the run's slot taken: it starts, unless it was
		// withdrawn or shut down while it waited, even when its slot came
		// at the same moment.
		took := func() bool {
			m.mu.Lock()
			m.queued--
			withdrawn, shut := w.withdrawn, m.shut
			if !withdrawn && !shut {
				w.took = true
				close(w.started)
			}
			m.mu.Unlock()
			w.settle()
			if withdrawn || shut {
				<-m.slots
				p.release()
				if withdrawn {
					end(nil, ErrWithdrawn)
				} else {
					end(m.svc.shutBeforeStart(p, h))
				}
				return false
			}
			return true
		}
		select {
		case m.slots <- struct{}{}: // free at once: the run never waited
			if !took() {
				return
			}
		default:
			w.settle()
			if !m.awaitSlot(h, p, w, end, took, unclaimed) {
				return
			}
		}
	}
	defer func() { <-m.slots }()
	if unclaimed() {
		return
	}
	if p.req.StartAfter != nil {
		<-p.req.StartAfter // the front end's line of the start comes first
	}
	// A reload while the run waited may have taken away what let it
	// start: it is judged again, by the caller and policy of now.
	if p.req.Recheck != nil {
		if rep := m.svc.recheck(p, h); rep != nil {
			end(rep, nil)
			return
		}
	}
	if !startUnlessCancelled(h) {
		reason := "not run: cancelled before the run started"
		if p.group != "" {
			// It waited for its group, then for a slot: the Cancel came
			// while it was queued, which is what its reason says.
			reason = fmt.Sprintf("not run: cancelled while waiting for concurrency group %q", p.group)
		}
		end(m.svc.neverRan(p, h, NotStarted(context.Cause(h.cancelCtx()).Error()), reason), nil)
		return
	}
	ctx := h.bind(m.ctx)
	rep, err := m.exec.execute(ctx, p, h)
	end(rep, err)
}

func (m *Manager) forget(h *Handle) {
	m.mu.Lock()
	if m.runs[h.id] == h { // a run given up unclaimed may have a successor here
		delete(m.runs, h.id)
	}
	delete(m.waiting, h)
	m.ended = append(m.ended, h)
	if len(m.ended) > keepEnded {
		m.ended = append(m.ended[:0], m.ended[len(m.ended)-keepEnded:]...)
	}
	hooks := m.onEnd
	m.mu.Unlock()
	for _, fn := range hooks {
		fn(h)
	}
}

// OnEnd registers fn to be called once for every run of Start that ends,
// after its records are written (a server counts them for its metrics). It
// is called on the run's goroutine and must not block.
func (m *Manager) OnEnd(fn func(*Handle)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.onEnd = append(m.onEnd, fn)
}

func (m *Manager) closing() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.shut
}

// Shutdown stops accepting runs, lets queued runs go (recorded as
// cancelled without starting), waits for running runs until ctx ends, then
// cancels them and waits for their on_failure and finally steps, reports
// and records. It returns ctx's error if it had to cancel runs.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	if !m.shut {
		m.shut = true
		close(m.closed)
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		m.exec.wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	m.stop(ops.WithClass(ops.ClassCancelled, stopping{}))
	m.cancelExecs()
	<-done
	return ctx.Err()
}
