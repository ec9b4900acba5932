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

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
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
}

// Service runs requests. It is safe for concurrent use.
type Service struct {
	cfg   Config
	store *history.Store
	rec   *recorder // history of executed operations, in batches
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
		s.rec = newRecorder(s)
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
	// Field names what is wrong: "playbook", "roles", "resume" or
	// "inputs".
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
	// authorized is set once the preflight allowed every step.
	authorized bool
	// oneShot marks an executed operation: no live history rows, no event
	// replay, no report file; history records it in a batch at its end.
	oneShot bool
}

func (p *prepared) release() {}

// Prepare checks a request without running it: the playbook loads, the
// roles exist, the resume report fits, the inputs resolve. A front end
// that must refuse bad requests synchronously (the API's 400) gets the
// same errors from Start.
func (s *Service) prepare(_ context.Context, req *Request) (*prepared, error) {
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
	env := req.Env
	if env == nil {
		env = s.cfg.Env
	}
	plan := engine.New(s.cfg.Registry, s.engineOptions(req)...).Plan(pb)
	if req.Resume != nil {
		if err := plan.CheckResume(req.Resume, req.Force); err != nil {
			return nil, &PrepareError{Field: "resume", Err: fmt.Errorf("--resume: %w", err)}
		}
	}
	inputs, err := s.inputs(plan, req, env)
	if err != nil {
		return nil, &PrepareError{Field: "inputs", Err: err}
	}
	return &prepared{req: req, runID: engine.NewRunID(), plan: plan, policy: policy, subject: subject, inputs: inputs, env: env}, nil
}

// inputs gathers the run's inputs: those of a resumed run (but not its
// masked secrets), then the typed inputs, then the text ones.
func (s *Service) inputs(plan *engine.Plan, req *Request, env Env) (map[string]any, error) {
	given := map[string]any{}
	if prev := req.Resume; prev != nil {
		for k, v := range prev.Inputs {
			if in := plan.Playbook().Input(k); in != nil && !in.Secret {
				given[k] = v
			}
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
func (s *Service) execute(ctx context.Context, p *prepared, h *Handle) (*report.Report, error) {
	stream := h.stream
	req, pb := p.req, p.plan.Playbook()
	roles := req.Caller.Roles
	statePath := s.statePath(p)
	if !p.authorized {
		rep, err := s.preflight(p, h)
		if err != nil || rep != nil {
			return rep, err
		}
	}

	plan := p.plan
	pub := newPublisher(s, stream, p.runID, !p.oneShot)
	pub.live = h.live
	defer pub.close()

	logOut, level := req.Log, req.LogLevel
	if logOut == nil {
		logOut, level = s.cfg.Log, s.cfg.LogLevel
	}
	runOpts := []engine.RunOption{
		engine.WithRunID(p.runID),
		engine.WithRoles(roles...),
		engine.WithRunAuthorizer(auth.NewAuthorizer(p.subject)),
		engine.WithRunObserver(pub),
		engine.WithEnviron(p.env.Environ()),
		engine.WithCaller(req.Caller.Name, req.Caller.From),
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
	if req.Resume != nil {
		runOpts = append(runOpts, engine.Resume(req.Resume))
	}
	if s.store != nil && !p.oneShot {
		run := history.Run{ID: p.runID, Playbook: pb.Name, Path: pb.File, SHA256: pb.SHA256, Roles: roles,
			Status: history.StatusRunning, StartedAt: time.Now(), ReportPath: statePath, ResumedFrom: resumedID(req.Resume),
			Trigger: string(req.Caller.Trigger)}
		if err := s.store.RecordStart(ctx, run); err != nil {
			s.warn("history: %v", err)
		}
	}
	rep, err := plan.Run(ctx, p.inputs, runOpts...)
	pub.close() // the report's rows replace the live ones: nothing may follow them
	if err != nil {
		return nil, err
	}
	if !p.oneShot {
		stream.Publish(Event{Kind: engine.EventRunFinished, RunID: p.runID, Time: time.Now(), Status: string(rep.Status), Report: rep})
	}
	s.finishRun(p, rep, statePath)
	return rep, nil
}

// engineOptions are the engine settings of a request.
func (s *Service) engineOptions(req *Request) []engine.Option {
	opts := []engine.Option{engine.WithMaxParallel(req.MaxParallel)}
	if s.cfg.Audit != nil {
		opts = append(opts, engine.WithAuditor(s.cfg.Audit))
	}
	if req.Confirmer != nil && !req.Yes {
		opts = append(opts, engine.WithConfirmer(req.Confirmer))
	}
	return opts
}

// statePath is where the state dir keeps the run's report; "" without a
// state dir, and for executed operations, whose record is history's.
func (s *Service) statePath(p *prepared) string {
	if s.store == nil || p.oneShot {
		return ""
	}
	return filepath.Join(s.reportDir(), p.runID+".json")
}

// finishRun records the end of a run: an executed operation in history's
// next batch, any other run by finish.
func (s *Service) finishRun(p *prepared, rep *report.Report, statePath string) {
	if p.oneShot && s.rec != nil {
		s.rec.record(rep, p.req.Caller.Trigger)
		return
	}
	s.finish(rep, p.req, statePath)
}

// preflight authorizes every step of the run before any runs. When it
// denies one, the run ends here: its denied report is published, written,
// recorded and audited, and returned; otherwise the report is nil.
func (s *Service) preflight(p *prepared, h *Handle) (*report.Report, error) {
	req, pb := p.req, p.plan.Playbook()
	roles := req.Caller.Roles
	decisions, err := p.policy.Preflight(roles, pb, s.cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("authorization: %w", err)
	}
	p.authorized = true
	denied := auth.Denied(decisions)
	if len(denied) == 0 {
		return nil, nil
	}
	rep := DeniedReport(pb, p.runID, roles, decisions)
	h.setDenied(denied)
	if s.cfg.Audit != nil {
		s.cfg.Audit.Denied(p.runID, pb, roles, req.Caller.Name, req.Caller.From, denied)
	}
	h.stream.Publish(Event{Kind: engine.EventRunFinished, RunID: p.runID, Time: time.Now(), Status: string(rep.Status), Report: rep})
	s.finishRun(p, rep, s.statePath(p))
	return rep, nil
}

// neverRan is the report of a queued run that was cancelled before it
// started.
func (s *Service) neverRan(p *prepared, why string) *report.Report {
	pb := p.plan.Playbook()
	now := time.Now()
	rep := &report.Report{
		ReportVersion: report.FormatVersion, RunID: p.runID,
		Playbook: report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256},
		Roles:    p.req.Caller.Roles, Inputs: map[string]any{}, Status: report.StatusCancelled,
		StartedAt: now, FinishedAt: now, Outputs: map[string]any{},
		Error: &report.Error{Class: string(ops.ClassCancelled), Message: why},
	}
	statePath := ""
	if s.store != nil {
		statePath = filepath.Join(s.reportDir(), p.runID+".json")
	}
	s.finish(rep, p.req, statePath)
	return rep
}

// finish writes the report to every sink, records history and prunes.
func (s *Service) finish(rep *report.Report, req *Request, statePath string) {
	write := func(path, format string) {
		if path == "" {
			return
		}
		var err error
		if format == "json" {
			err = report.Write(path, rep)
		} else {
			err = report.WriteFormat(path, rep, format)
		}
		if err != nil {
			s.warn("%v", err)
		}
	}
	write(req.Sinks.Report, "json")
	write(statePath, "json")
	write(req.Sinks.JUnit, "junit")
	write(req.Sinks.Markdown, "markdown")
	write(req.Sinks.HTML, "html")
	if req.Sinks.StepSummary {
		if err := report.AppendStepSummary(rep); err != nil {
			s.warn("job summary: %v", err)
		}
	}
	if s.store == nil {
		return
	}
	ctx := context.Background()
	if err := s.store.RecordFinish(ctx, rep, statePath); err != nil {
		s.warn("history: %v", err)
	}
	s.prune(ctx)
}

// prune drops old runs and their report files, as KeepRuns and KeepDays
// say.
func (s *Service) prune(ctx context.Context) {
	if s.cfg.KeepRuns > 0 || s.cfg.KeepDays > 0 {
		removed, err := s.store.Prune(ctx, s.cfg.KeepRuns, s.cfg.KeepDays)
		if err != nil {
			s.warn("history: prune: %v", err)
		}
		for _, path := range removed {
			if path != "" {
				os.Remove(path)
			}
		}
	}
}

func resumedID(prev *report.Report) string {
	if prev == nil {
		return ""
	}
	return prev.RunID
}
