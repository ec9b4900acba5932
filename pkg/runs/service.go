// Package runs is the run service: it turns a request (a playbook, inputs,
// a caller) into a run that is authorized, executed by the engine,
// reported, recorded in history and audited, and hands out handles and
// event streams to watch and cancel it. The CLI, the scheduler and the
// server are front ends over it and hold no run logic of their own.
//
// The order of a run is fixed: load and plan, resolve inputs, authorize
// (preflight), record the start in history, run the engine, write every
// requested report, record the end, prune, and write the audit log.
package runs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// Config is what every run of a Service shares.
type Config struct {
	Registry *ops.Registry
	// Policy authorizes requests that bring none; nil means the built-in
	// policy.
	Policy *auth.Policy
	// StateDir, when set, holds the history database and a copy of every
	// report under reports/.
	StateDir string
	// Audit, when set, receives a line per executed or denied step.
	Audit *auth.AuditLog
	// Env is the environment runs may read unless a request brings its
	// own; nil means the process environment.
	Env Env
	// Log receives run log lines at LogLevel unless a request brings its
	// own writer; nil discards them.
	Log      io.Writer
	LogLevel zerolog.Level
	// KeepRuns and KeepDays prune history after each run (0: keep all).
	KeepRuns, KeepDays int
	// Warn receives problems that do not stop a run (history or a sink
	// that failed); nil discards them.
	Warn func(format string, args ...any)
	// LockDir holds the lock files of concurrency groups when there is no
	// state dir; default a directory of the user's under the temporary
	// directory. Processes that share it (or the state dir) keep runs of
	// one group apart.
	LockDir string
	// Telemetry traces every run (see pkg/telemetry); nil: off. A run
	// started under a span (an API request that continued a trace) is its
	// child.
	Telemetry *telemetry.Provider
	// Remote configures the ssh.* operations of every run (see
	// remote.go): the inventory, the known_hosts files and accept-new.
	// Front ends load the inventory file once and pass it here.
	Remote remote.Settings
}

// Service runs requests. It is safe for concurrent use.
type Service struct {
	cfg   Config
	store *history.Store
	// groups keeps the concurrency groups: in the store, or in lock files.
	groups groupBackend
	// key signs reports and verifies resumed ones; nil without a usable
	// state dir key, and keyErr says why.
	key    []byte
	keyErr string
	rec    *recorder // history of executed operations, in batches
	// Interrupted is how many runs of dead processes Open marked
	// interrupted.
	Interrupted int
}

// NewService opens the state dir's history (when a state dir is set) and
// marks the runs of processes that died as interrupted.
func NewService(cfg Config) (*Service, error) {
	if cfg.Registry == nil {
		return nil, errors.New("runs: a registry is required")
	}
	if cfg.Policy == nil {
		cfg.Policy = auth.Builtin()
	}
	if cfg.Env == nil {
		cfg.Env = ProcessEnv{}
	}
	s := &Service{cfg: cfg}
	if cfg.StateDir != "" {
		store, err := history.Open(cfg.StateDir)
		if err != nil {
			return nil, err
		}
		s.store = store
		if n, err := store.MarkInterrupted(context.Background()); err == nil {
			s.Interrupted = n
		}
		if err := os.MkdirAll(s.reportDir(), 0o755); err != nil {
			store.Close()
			return nil, fmt.Errorf("history: %w", err)
		}
		key, err := report.Key(cfg.StateDir, true)
		if err != nil {
			s.keyErr = err.Error()
			s.warn("%v; reports are written unsigned", err)
		}
		s.key = key
		s.rec = newRecorder(s)
		s.groups = storeGroups{store}
	} else {
		dir := cfg.LockDir
		if dir == "" {
			dir = defaultLockDir()
		}
		s.groups = fileGroups{dir: dir}
	}
	return s, nil
}

// Close releases the history store.
func (s *Service) Close() error {
	if s.rec != nil {
		s.rec.close()
	}
	if s.store != nil {
		return s.store.Close()
	}
	return nil
}

// History returns the state dir's history store, or nil without one.
func (s *Service) History() *history.Store { return s.store }

// Registry returns the operations runs use.
func (s *Service) Registry() *ops.Registry { return s.cfg.Registry }

// Policy returns the service's policy.
func (s *Service) Policy() *auth.Policy { return s.cfg.Policy }

func (s *Service) reportDir() string { return filepath.Join(s.cfg.StateDir, "reports") }

func (s *Service) warn(format string, args ...any) {
	if s.cfg.Warn != nil {
		s.cfg.Warn(format, args...)
	}
}

// PrepareError is a request that cannot become a run: the playbook, the
// caller's roles, the resume report or an input is wrong. Nothing ran and
// nothing was recorded.
type PrepareError struct {
	// Field names what is wrong: "playbook", "roles", "resume", "inputs",
	// "inventory" (inventory.hosts names a group the inventory lacks, or
	// no inventory is configured), "sinks" or "params".
	Field string
	Err   error
}

func (e *PrepareError) Error() string { return e.Err.Error() }
func (e *PrepareError) Unwrap() error { return e.Err }

// prepared is a request made ready to run.
type prepared struct {
	req     *Request
	runID   string
	plan    *engine.Plan
	policy  *auth.Policy
	subject *auth.Subject
	inputs  map[string]any
	env     Env
	res     *resumed
	// decisions are the preflight's; statePath is the state dir's copy of
	// the report ("" without one); sinks are every file the report goes to.
	decisions []auth.StepDecision
	statePath string
	sinks     []sink
	// refusal explains a grant refused for this run (see Handle.Refusal).
	refusal string
	// group is the run's concurrency group, "" when it has none (or is a
	// dry run, which changes nothing and waits for no one).
	group string
	// parent is the span the request was made under, if any.
	parent trace.SpanContext
	// engOpts are the engine's options for this run.
	engOpts []engine.Option
}

func (p *prepared) release() {}

// Prepare checks a request without running it: the playbook loads, the
// roles exist, the resume report fits, the inputs resolve. A front end
// that must refuse bad requests synchronously (the API's 400) gets the
// same errors from Start.
func (s *Service) prepare(ctx context.Context, req *Request) (*prepared, error) {
	pb := req.Playbook
	if pb == nil {
		var err error
		if pb, err = steps.Load(req.Path, s.cfg.Registry); err != nil {
			return nil, &PrepareError{Field: "playbook", Err: err}
		}
	}
	policy := req.Policy
	if policy == nil {
		policy = s.cfg.Policy
	}
	roles := req.Caller.Roles
	if len(roles) == 0 {
		roles = []string{auth.DefaultRole}
		req.Caller.Roles = roles
	}
	subject, err := policy.Subject(roles, pb)
	if err != nil {
		return nil, &PrepareError{Field: "roles", Err: err}
	}
	if probs := policy.CacheProblems(pb); len(probs) > 0 {
		return nil, &PrepareError{Field: "playbook", Err: probs}
	}
	env := req.Env
	if env == nil {
		env = s.cfg.Env
	}
	engOpts := []engine.Option{engine.WithMaxParallel(req.MaxParallel)}
	if s.cfg.Audit != nil {
		engOpts = append(engOpts, engine.WithAuditor(s.cfg.Audit))
	}
	if req.Confirmer != nil && !req.Yes {
		engOpts = append(engOpts, engine.WithConfirmer(req.Confirmer))
	}
	engOpts = append(engOpts, s.cacheOptions(pb, policy)...)
	plan := engine.New(s.cfg.Registry, engOpts...).Plan(pb)
	// The playbook's env files join the environment here, so that inputs
	// with env: or from_env: read them too.
	environ, err := plan.Environ(env.Environ())
	if err != nil {
		return nil, &PrepareError{Field: "playbook", Err: err}
	}
	env = listEnv(environ)
	var res *resumed
	switch {
	case req.ResumeFrom != "":
		if res, err = s.loadResume(req.ResumeFrom); err != nil {
			return nil, &PrepareError{Field: "resume", Err: fmt.Errorf("--resume: %w", err)}
		}
	case req.Resume != nil:
		res = &resumed{rep: req.Resume, file: "the report given", why: "it was not read from the state dir"}
	}
	switch {
	case !req.Selection.IsZero():
		var prev *report.Report
		if res != nil {
			prev = res.rep
		}
		if err := plan.CheckPartial(req.Selection, prev, req.Force); err != nil {
			return nil, &PrepareError{Field: "selection", Err: err}
		}
	case res != nil:
		if err := plan.CheckResume(res.rep, req.Force); err != nil {
			return nil, &PrepareError{Field: "resume", Err: fmt.Errorf("--resume: %w", err)}
		}
	}
	inputs, err := s.inputs(plan, req, res, env)
	if err != nil {
		return nil, &PrepareError{Field: "inputs", Err: err}
	}
	if err := s.checkInventory(pb); err != nil {
		return nil, &PrepareError{Field: "inventory", Err: err}
	}
	p := &prepared{req: req, runID: engine.NewRunID(), plan: plan, policy: policy, subject: subject, inputs: inputs, env: env, res: res,
		engOpts: engOpts, parent: trace.SpanContextFromContext(ctx)}
	if p.decisions, err = policy.Preflight(roles, pb, s.cfg.Registry, auth.WithInventory(s.cfg.Remote.Inventory)); err != nil {
		return nil, &PrepareError{Field: "roles", Err: fmt.Errorf("authorization: %w", err)}
	}
	if s.store != nil && !req.oneShot {
		p.statePath = filepath.Join(s.store.Reports(), p.runID+".json")
	}
	// Under a grant, the inputs the caller set and a resumed report must be
	// ones the grant can vouch for; otherwise its steps are denied here.
	p.decisions, p.refusal = checkGrantInputs(p.decisions, p.subject, p.inputs)
	if p.refusal == "" {
		p.decisions, p.subject, p.refusal = checkResumeTrust(p.res, p.decisions, p.subject)
	}
	// Every report path is checked before anything runs, so that a run
	// never replaces what is not its to replace.
	p.sinks = sinksFor(req, p.statePath, env)
	var given []sink // the state dir's copy is the service's own, checked when it opened
	for _, sk := range p.sinks {
		if !sk.state {
			given = append(given, sk)
		}
	}
	if err := checkSinks(given, s.readFiles(req, pb.File, p.decisions)); err != nil {
		return nil, &PrepareError{Field: "sinks", Err: err}
	}
	if !req.DryRun {
		group, ok, err := plan.ConcurrencyGroup(inputs, environ)
		if err != nil {
			return nil, &PrepareError{Field: "inputs", Err: err}
		}
		if ok {
			p.group = group
		}
	}
	return p, nil
}

// inputs gathers the run's inputs: those of a resumed run (but not its
// masked secrets), then the typed inputs, then the text ones.
func (s *Service) inputs(plan *engine.Plan, req *Request, res *resumed, env Env) (map[string]any, error) {
	given := map[string]any{}
	if res != nil {
		for k, v := range res.rep.Inputs {
			if in := plan.Playbook().Input(k); in != nil && !in.Secret {
				given[k] = v
			}
		}
	}
	if req.InputsFile != "" {
		fromFile, err := steps.LoadInputs(req.InputsFile, plan.Playbook())
		if err != nil {
			return nil, err
		}
		for k, v := range fromFile {
			given[k] = v
		}
	}
	for k, v := range req.Inputs {
		given[k] = v
	}
	parsed, err := plan.ParseInputs(req.InputText)
	if err != nil {
		return nil, err
	}
	for k, v := range parsed {
		given[k] = v
	}
	return plan.ResolveInputs(given, env.LookupEnv)
}

// execute runs a prepared request to its end: preflight, history start,
// the engine, reports, history end, pruning. It never returns a nil report
// with a nil error.
func (s *Service) execute(ctx context.Context, p *prepared, h *Handle) (rep *report.Report, err error) {
	stream := h.stream
	ctx, tr := s.startTrace(ctx, p)
	defer func() { tr.End(ctx, rep) }()
	req, pb := p.req, p.plan.Playbook()
	roles := req.Caller.Roles
	decisions, subject := p.decisions, p.subject
	plan := p.plan
	if opts := tr.Options(); len(opts) > 0 {
		// Tracing wraps the chain outermost, so a cache hit still has its
		// item span: the plan is made again with its middleware.
		plan = engine.New(s.cfg.Registry, append(opts, p.engOpts...)...).Plan(pb)
	}
	ctx, closePool := s.remotePool(ctx)
	defer closePool()
	pub := newPublisher(s, stream, p.runID, !req.oneShot)
	pub.live = h.live
	defer pub.close()
	// progress follows the run, so that a report can still be written if
	// the process must exit before the engine has built one.
	prog := newProgress(pb, p.runID, roles, p.inputs, req.DryRun)
	h.setEmergency(func(cause string) []error { return s.writeSinks(prog.report(cause), p.sinks) })

	logOut, level := req.Log, req.LogLevel
	if logOut == nil {
		logOut, level = s.cfg.Log, s.cfg.LogLevel
	}
	runOpts := []engine.RunOption{
		engine.WithRunID(p.runID),
		engine.WithRoles(roles...),
		engine.WithRunAuthorizer(auth.NewAuthorizer(subject)),
		engine.WithRunObserver(observers{pub, prog}),
		engine.WithEnviron(p.env.Environ()),
		engine.WithPreflight(preflightDecisions(decisions)),
		engine.WithCaller(req.Caller.Name, req.Caller.From),
		engine.WithInventory(s.cfg.Remote.Inventory),
	}
	if logOut != nil {
		runOpts = append(runOpts, engine.WithRunLog(logOut, level))
	}
	if req.ProcessOutput != nil {
		runOpts = append(runOpts, engine.WithProcessOutput(req.ProcessOutput))
	}
	if req.DryRun {
		runOpts = append(runOpts, engine.DryRun())
	}
	if req.Yes {
		runOpts = append(runOpts, engine.AssumeYes())
	}
	if p.res != nil {
		runOpts = append(runOpts, engine.Resume(p.res.rep))
	}
	if !req.Selection.IsZero() {
		runOpts = append(runOpts, engine.WithSelection(req.Selection))
	}
	if link := RunLink(req.BaseURL, p.runID); link != "" {
		runOpts = append(runOpts, engine.WithRunURL(link))
	}
	if !req.oneShot {
		s.recordStart(ctx, p)
	}
	rep, err = plan.Run(ctx, p.inputs, runOpts...)
	pub.close() // the report's rows replace the live ones: nothing may follow them
	if err != nil {
		return nil, err
	}
	s.finishRun(rep, p, h)
	return rep, nil
}

// preflight ends a run whose preflight denied a step, before it takes a
// slot: its denied report is published, written, recorded and audited,
// and returned. It returns nil when the run may go on (no denial, or a dry
// run, which goes on so that its report marks every step).
func (s *Service) preflight(p *prepared, h *Handle) *report.Report {
	h.setRefusal(p.refusal)
	denied := auth.Denied(p.decisions)
	if len(denied) == 0 || p.req.DryRun {
		return nil
	}
	req, pb := p.req, p.plan.Playbook()
	roles := req.Caller.Roles
	rep := DeniedReport(pb, p.runID, roles, p.decisions, s.cfg.Registry)
	h.setDenied(denied)
	if s.cfg.Audit != nil {
		if err := s.cfg.Audit.Denied(p.runID, pb, roles, req.Caller.Name, req.Caller.From, denied); err != nil {
			s.warn("%v", err)
		}
	}
	if !req.oneShot {
		publishRecord(h.stream, rep)
		s.recordStart(context.Background(), p)
	}
	s.finishRun(rep, p, h)
	return rep
}

// finishRun records the end of a run: an executed operation in history's
// next batch, any other run by finish.
func (s *Service) finishRun(rep *report.Report, p *prepared, h *Handle) {
	if p.req.oneShot {
		if s.rec != nil {
			s.rec.record(rep, p.req.Caller.Trigger)
		}
		return
	}
	s.finish(rep, p, h)
}

func slotOf(c Caller) *time.Time {
	if c.Slot.IsZero() {
		return nil
	}
	t := c.Slot
	return &t
}

// neverRan is the report of a queued run that was cancelled before it
// started.
func (s *Service) neverRan(p *prepared, h *Handle, why string) *report.Report {
	return s.neverRanAs(p, h, ops.ClassCancelled, why)
}

// neverRanAs is the report of a run that did not start, for a reason of
// class: cancelled (status cancelled), or a fault (status failed).
func (s *Service) neverRanAs(p *prepared, h *Handle, class ops.Class, why string) *report.Report {
	pb := p.plan.Playbook()
	now := time.Now()
	rep := &report.Report{
		ReportVersion: report.FormatVersion, RunID: p.runID,
		Playbook: report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256},
		Roles:    p.req.Caller.Roles, Inputs: map[string]any{}, Status: report.StatusCancelled,
		StartedAt: now, FinishedAt: now, Outputs: map[string]any{},
		Error: &report.Error{Class: string(class), Message: why},
	}
	if class != ops.ClassCancelled {
		rep.Status = report.StatusFailed
	}
	publishRecord(h.stream, rep)
	if !p.req.oneShot {
		s.recordStart(context.Background(), p)
	}
	s.finishRun(rep, p, h)
	return rep
}

// recordStart records the run as running in the history, with what
// started it (the caller's trigger, "" being cli) and, for a scheduled
// run, its slot. Runs that end without running (denied, or cancelled
// while queued) are recorded too, so that their rows carry the trigger
// and slot as well; finish then records their end.
func (s *Service) recordStart(ctx context.Context, p *prepared) {
	if s.store == nil {
		return
	}
	pb, c := p.plan.Playbook(), p.req.Caller
	run := history.Run{ID: p.runID, Playbook: pb.Name, Path: pb.File, SHA256: pb.SHA256, Roles: c.Roles,
		Status: history.StatusRunning, StartedAt: time.Now(), ReportPath: p.statePath, ResumedFrom: resumedID(p.res),
		Trigger: history.Trigger(c.Trigger)}
	if !c.Slot.IsZero() {
		slot := c.Slot
		run.Slot = &slot
	}
	if err := s.store.RecordStart(ctx, run); err != nil {
		s.warn("history: %v", err)
	}
}

// publishRecord publishes the events of a run that the engine never ran
// (refused by preflight, or cancelled while queued), in the usual grammar:
// run_started, each step started and finished with its reason, then
// run_finished with the report.
func publishRecord(stream *Stream, rep *report.Report) {
	now := time.Now()
	stream.Publish(Event{Kind: engine.EventRunStarted, RunID: rep.RunID, Time: now, Playbook: rep.Playbook.Name})
	for _, st := range rep.Steps {
		stream.Publish(Event{Kind: engine.EventStepStarted, RunID: rep.RunID, Time: now, Step: st.ID, Name: st.Name, Op: st.Op, Section: st.Section})
		ev := Event{Kind: engine.EventStepFinished, RunID: rep.RunID, Time: now, Step: st.ID, Name: st.Name, Op: st.Op, Section: st.Section,
			Status: string(st.Status), Reason: st.Reason}
		if st.Error != nil {
			ev.Err, ev.ErrClass = st.Error.Message, st.Error.Class
		}
		stream.Publish(ev)
	}
	fin := Event{Kind: engine.EventRunFinished, RunID: rep.RunID, Time: now, Status: string(rep.Status), Report: rep}
	if rep.Error != nil {
		fin.Err, fin.ErrClass = rep.Error.Message, rep.Error.Class
	}
	stream.Publish(fin)
}

// finish signs the report, writes it to every sink, records the end in
// history and prunes. Problems writing a sink are kept on the handle (a
// front end fails a run whose report could not be written) and passed to
// Warn. Once finish has begun, an emergency write (Handle.WriteNow) waits
// for it instead of writing a report of its own.
func (s *Service) finish(rep *report.Report, p *prepared, h *Handle) {
	h.finishing.Lock() // held for good; see Handle.WriteNow
	defer close(h.finishedCh())
	if s.key != nil {
		if err := report.Sign(rep, s.key); err != nil {
			s.warn("%v; the report is written unsigned", err)
		}
	}
	errs := s.writeSinks(rep, p.sinks)
	for _, err := range errs {
		s.warn("%v", err)
	}
	h.setSinkErrors(errs)
	s.prune(context.Background())
}

// prune drops old runs and their report files, as KeepRuns and KeepDays
// say.
func (s *Service) prune(ctx context.Context) {
	if s.store != nil && (s.cfg.KeepRuns > 0 || s.cfg.KeepDays > 0) {
		if _, err := s.store.Prune(ctx, s.cfg.KeepRuns, s.cfg.KeepDays); err != nil {
			s.warn("history: prune: %v", err)
		}
	}
}

func resumedID(res *resumed) string {
	if res == nil {
		return ""
	}
	return res.rep.RunID
}
