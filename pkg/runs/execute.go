package runs

import (
	"context"
	"errors"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// OpRequest is one operation to execute outside a playbook.
type OpRequest struct {
	Op     string
	Params map[string]any
	// Timeout bounds the call (0: none).
	Timeout time.Duration
	Caller  Caller
	// Policy authorizes the call; nil means the service's policy.
	Policy *auth.Policy
	// Env is the environment the operation may read; nil means the
	// service's.
	Env Env
	// EndCause, when set, is the cause the call ends with when ctx ends
	// first, given ctx: a front end tells a client that went away from a
	// service that stopped. Nil: ctx's own cause.
	EndCause func(ctx context.Context) error
}

// ErrPlaybookOp refuses playbook.run as an operation of its own: it runs
// a playbook, and a playbook runs as a run (Manager.Start), which takes a
// run slot and its concurrency group, checks its inputs and its grant, and
// reads only the playbooks its front end serves. Executed alone, it would
// do none of that, and its errors would tell which files exist where the
// process runs.
var ErrPlaybookOp = errors.New(steps.SubPlaybookOp + " runs only as a step of a playbook: start the playbook as a run instead")

// OpResult is the outcome of an executed operation.
type OpResult struct {
	RunID         string
	Op            string
	Status        report.Status
	Output        any
	Error         *report.Error
	DurationMS    int64
	Authorization *report.Decision
	// OnParams is set when preflight refused the call for its params
	// while the caller's roles allow the operation (auth.Decision.Params).
	OnParams bool
	// Report is the whole record of the call, as a one-step run.
	Report *report.Report
}

// ExecuteOp runs one operation through the same path as a step of a
// playbook: parameter validation, authorization (preflight, then again at
// run time on the params), masking, the panic guard, the audit log and
// history. It is a one-step run with its own run id, but it does not take
// a run slot, keeps no event replay and writes no report file: history
// records it when it ends, in one transaction with the other executes that
// ended meanwhile, before ExecuteOp returns. A bad op or param is a
// *PrepareError with Field "params"; playbook.run is ErrPlaybookOp.
func (m *Manager) ExecuteOp(ctx context.Context, req OpRequest) (*OpResult, error) {
	if req.Op == steps.SubPlaybookOp {
		return nil, ErrPlaybookOp
	}
	pb, err := steps.OneStep(m.svc.cfg.Registry, req.Op, req.Params, req.Timeout)
	if err != nil {
		return nil, &PrepareError{Field: "params", Err: err}
	}
	m.mu.Lock()
	if m.shut {
		m.mu.Unlock()
		return nil, ErrShuttingDown
	}
	m.wg.Add(1)
	m.mu.Unlock()
	defer m.wg.Done()

	r := Request{Playbook: pb, Caller: req.Caller, Policy: req.Policy, Env: req.Env, Yes: true, oneShot: true}
	p, err := m.svc.prepare(ctx, &r)
	if err != nil {
		return nil, err
	}
	h := newHandle(p.runID, &r)
	h.setName(pb.Name)
	h.state.Store(StateRunning)
	rep := m.svc.preflight(p, h)
	if rep == nil {
		rctx, cancel, stop := bindOp(ctx, req.EndCause)
		h.setCancel(cancel)
		m.trackExec(h, cancel)
		defer m.untrackExec(h, cancel, stop)
		rep, err = m.svc.execute(rctx, p, h)
	}
	h.end(rep, err)
	if err != nil {
		return nil, err
	}
	res := &OpResult{RunID: rep.RunID, Op: req.Op, Status: rep.Status, DurationMS: rep.DurationMS, Report: rep, Error: rep.Error}
	if denied := h.Denied(); len(denied) > 0 {
		res.OnParams = denied[0].Decision.Params
	}
	if len(rep.Steps) > 0 {
		st := rep.Steps[0]
		res.Status, res.Output, res.Authorization, res.DurationMS = st.Status, st.Output, st.Authorization, st.DurationMS
		if st.Error != nil {
			res.Error = st.Error
		}
	}
	return res, nil
}

// bindOp is the context of an executed operation: it has ctx's values and
// ends with ctx, with endCause's cause when given, or with cancel. One
// context, and no closure to release it: every execute makes one.
func bindOp(ctx context.Context, endCause func(context.Context) error) (context.Context, context.CancelCauseFunc, func() bool) {
	if endCause == nil {
		rctx, cancel := context.WithCancelCause(ctx)
		return rctx, cancel, nil
	}
	rctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { cancel(endCause(ctx)) })
	return rctx, cancel, stop
}

// trackExec keeps the cancel of an executed operation's context for
// Shutdown, which ends it when its grace runs out, as it ends the runs; a
// Shutdown that gave up already ends it now. The manager's context is not
// watched by each execute: that would take a registration, and a closure,
// per call.
func (m *Manager) trackExec(h *Handle, cancel context.CancelCauseFunc) {
	m.mu.Lock()
	m.execs[h] = cancel
	m.mu.Unlock()
	if m.ctx.Err() != nil {
		cancel(context.Cause(m.ctx))
	}
}

// untrackExec forgets an executed operation that ended, and ends its
// context.
func (m *Manager) untrackExec(h *Handle, cancel context.CancelCauseFunc, stop func() bool) {
	m.mu.Lock()
	delete(m.execs, h)
	m.mu.Unlock()
	if stop != nil {
		stop()
	}
	cancel(context.Canceled)
}

// cancelExecs ends the executed operations still going, with the cause of
// the manager's context.
func (m *Manager) cancelExecs() {
	cause := context.Cause(m.ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, cancel := range m.execs {
		cancel(cause)
	}
}
