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
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
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
	// Store, when set instead of StateDir, is an open store (PostgreSQL,
	// shared by several processes) that keeps the history and the
	// reports; the service takes it over and closes it in Close.
	Store store.Store
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
	// WarnRun receives the problems of one run (its history rows, its
	// report, its audit record) with the run's id, for a log line that
	// carries run_id; nil: Warn.
	WarnRun func(runID, format string, args ...any)
	// LockDir holds the lock files of concurrency groups when there is no
	// state dir; default a directory in arsenal-run's private runtime
	// directory (fsroot.PrivateBase), which no file operation touches. Processes that share it (or the state dir) keep runs of
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
	// ConfirmHints complete, by trigger, the error of a confirm: step
	// denied because nobody can be asked (see engine.WithConfirmHint),
	// for runs whose request brings no ConfirmHint: a front end whose runs
	// another part of the process starts (a queue) sets its own here.
	// Missing: engine.DefaultConfirmHint, the CLI's --yes.
	ConfirmHints map[Trigger]string
	// InputHints say, by trigger, what to do about a required input
	// nobody gave (see engine.InputHint), for requests that bring no
	// InputHint, as ConfirmHints do. Missing: engine.CLIInputHint, the
	// CLI's --input.
	InputHints map[Trigger]engine.InputHint
	// BaseURL is the Request.BaseURL of requests that bring none: serve's
	// and schedule's --base-url, so that runs started through the API,
	// the console or a schedule have the link of their page (run.url, and
	// the link of notifications) as run --base-url gives one.
	BaseURL string
	// InterruptSweep, when positive, marks interrupted every so often
	// the runs of other processes on the state dir that died (see
	// InterruptSweep); zero marks them only when the service opens. A
	// shared database's runs are left to its leases.
	InterruptSweep time.Duration
	// RefuseSwappable refuses, as each run reads them, the sub-playbooks,
	// env files, input files and operations' sources (templates, copied,
	// uploaded and archived files) that a user of the host other than
	// this process's and root could swap (engine.RefuseSwappable): for serve
	// and schedule, whose runs have roles the files' authors did not give
	// them. run leaves it off.
	RefuseSwappable bool
}

// Service runs requests. It is safe for concurrent use.
type Service struct {
	cfg   Config
	store store.Store
	// groups keeps the concurrency groups: in the store, or in lock files.
	groups groupBackend
	// key signs reports and verifies resumed ones; nil without a usable
	// state dir key, and keyErr says why.
	key    []byte
	keyErr string
	rec    *recorder // history of executed operations, in batches
	// view is the store as History gives it: store, or, when executes
	// do not wait for their record, store read after it (settledStore).
	view  store.Store
	late  lateEnds // ends of runs the store refused, recorded again
	sweep interruptSweep
	// disk tells whether a loaded playbook's file changed (FileWarning).
	disk steps.DiskCheck
	// plainOpts are the engine options of most runs (engineOptions).
	plainOpts plainOptions
	// hostOps tells, by *ops.Entry, whether an operation is one of the
	// ssh.* (mayConnect).
	hostOps sync.Map
	// Interrupted is how many runs of dead processes Open marked
	// interrupted.
	Interrupted int
	// InterruptedIDs are their ids, sorted, when the store tells them.
	InterruptedIDs []string
}

// NewService opens the state dir's history (when a state dir is set), or
// takes the given store, and marks the runs of processes that died as
// interrupted.
func NewService(cfg Config) (*Service, error) {
	return NewServiceContext(context.Background(), cfg)
}

// NewServiceContext is NewService whose wait for another process opening
// the state dir ends when ctx is done (a daemon's Ctrl-C at start).
func NewServiceContext(ctx context.Context, cfg Config) (*Service, error) {
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
		// Its keys sign sessions and reports: no step reads or writes
		// them, whatever its roles' file_roots (the working directory
		// may hold the state dir).
		fsroot.Protect(cfg.StateDir, "state dir")
	}
	if cfg.Store == nil && cfg.StateDir != "" {
		var notice func(string)
		if cfg.Warn != nil {
			notice = func(msg string) { cfg.Warn("history: %s", msg) }
		}
		h, err := history.OpenContext(ctx, cfg.StateDir, notice)
		if err != nil {
			return nil, err
		}
		cfg.Store = h
	}
	if st := cfg.Store; st != nil {
		s.store = st
		if namer, ok := st.(store.InterruptNamer); ok {
			if ids, err := namer.MarkInterruptedIDs(context.Background()); err == nil {
				s.Interrupted, s.InterruptedIDs = len(ids), ids
			}
		} else if n, err := st.MarkInterrupted(context.Background()); err == nil {
			s.Interrupted = n
		}
		if dir := st.Reports(); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				st.Close()
				return nil, fmt.Errorf("history: %w", err)
			}
		}
		// A state dir's history is this process's to write: its executes
		// answer before their record is committed, and its own reads
		// wait for it. A shared database's replicas read what one of
		// them answered, so there the answer waits.
		local, ok := st.(*history.Store)
		var key []byte
		var err error
		if ok {
			var warning string
			if key, warning, err = local.OpenReportKey(context.Background()); warning != "" {
				s.warn("%s", warning)
			}
		} else {
			key, err = st.ReportKey(context.Background())
		}
		if err != nil {
			s.keyErr = err.Error()
			s.warn("%v; reports are written unsigned", err)
		}
		s.key = key
		s.rec = newRecorder(s, ok)
		s.view = st
		if ok {
			s.view = settledStore{Store: local, rec: s.rec}
			if cfg.InterruptSweep > 0 {
				s.startInterruptSweep(local, cfg.InterruptSweep)
			}
		}
		s.groups = storeGroups{st}
	} else {
		g := fileGroups{dir: cfg.LockDir}
		if g.dir == "" {
			g = fileGroups{dir: defaultLockDir(), private: true}
		}
		s.groups = g
	}
	return s, nil
}

// Close releases the history store.
func (s *Service) Close() error {
	s.stopInterruptSweep()
	if s.rec != nil {
		s.rec.close()
	}
	if s.store != nil {
		s.closeLate()
		return s.store.Close()
	}
	return nil
}

// History returns the service's store (the state dir's history, or the
// shared database), or nil without one. Its reads of runs include every
// executed operation that has answered.
func (s *Service) History() store.Store {
	if s.view == nil {
		return nil
	}
	return s.view
}

// Registry returns the operations runs use.
func (s *Service) Registry() *ops.Registry { return s.cfg.Registry }

// Policy returns the service's policy.
func (s *Service) Policy() *auth.Policy { return s.cfg.Policy }

func (s *Service) warn(format string, args ...any) {
	if s.cfg.Warn != nil {
		s.cfg.Warn(format, args...)
	}
}

// warnRun is warn for a problem of run runID.
func (s *Service) warnRun(runID, format string, args ...any) {
	if s.cfg.WarnRun != nil {
		s.cfg.WarnRun(runID, format, args...)
		return
	}
	s.warn(format, args...)
}

// historyErr is a store's error for a warning that starts with
// "history:": the local store's errors say so already, and are not said
// twice ("history: history: record 1 runs").
func historyErr(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "history: ") {
		return msg
	}
	return "history: " + msg
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
	ctx, closePool := s.remotePool(ctx, plan)
	defer closePool()
	pub := newPublisher(s, stream, p.runID, !req.oneShot, req.DryRun)
	pub.live, pub.start = h.live, p.start
	defer pub.close()
	// progress follows the run, so that a report can still be written if
	// the process must exit before the engine has built one. An executed
	// operation writes no report, and its handle is nobody's to write.
	var obs engine.Observer = pub
	if !req.oneShot {
		prog := newProgress(pb, p.runID, roles, p.inputs, req.DryRun)
		h.setEmergency(func(cause string) (*report.Report, []string, []error) {
			rep := prog.report(cause)
			return rep, prog.stillRunning(), s.writeSinks(rep, p, s.sign(rep))
		})
		obs = observers{pub, prog}
	}

	logOut, level := req.Log, req.LogLevel
	if logOut == nil {
		logOut, level = s.cfg.Log, s.cfg.LogLevel
	}
	// Room for every option below: the slice is made once.
	runOpts := append(make([]engine.RunOption, 0, 19),
		engine.WithRunID(p.runID),
		engine.WithRoles(roles...),
		engine.WithRunAuthorizer(auth.NewAuthorizer(subject)),
		engine.WithRunObserver(obs),
		engine.WithEnviron(p.hostEnv),
		engine.WithPreflight(preflightDecisions(decisions)),
		engine.WithCaller(req.Caller.Name, req.Caller.From),
		engine.WithInventory(s.cfg.Remote.Inventory),
	)
	if p.warnings != nil {
		// The scheduler logs its own, with the slot.
		runOpts = append(runOpts, engine.WithWarnings(req.Caller.Trigger == TriggerSchedule, p.warnings...))
	}
	if logOut != nil {
		runOpts = append(runOpts, engine.WithRunLog(logOut, level))
		if len(req.LogFields) > 0 {
			runOpts = append(runOpts, engine.WithLogFields(req.LogFields...))
		}
		if req.StartLogged {
			runOpts = append(runOpts, engine.StartLogged())
		}
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
	if hint := s.confirmHint(req); hint != "" {
		runOpts = append(runOpts, engine.WithConfirmHint(hint))
	}
	if p.res != nil {
		runOpts = append(runOpts, engine.Resume(p.res.rep))
	}
	if !req.Selection.IsZero() {
		runOpts = append(runOpts, engine.WithSelection(req.Selection))
	}
	base := req.BaseURL
	if base == "" {
		base = s.cfg.BaseURL
	}
	if link := RunLink(base, p.runID); link != "" {
		runOpts = append(runOpts, engine.WithRunURL(link))
	}
	if !req.oneShot {
		// One reading of the clock for the start's row and the report.
		at := time.Now()
		runOpts = append(runOpts, engine.WithStartedAt(at))
		s.recordStart(ctx, p, h, at)
	}
	rep, err = plan.Run(withStart(ctx, p.start), p.inputs, runOpts...)
	if err != nil {
		pub.close()
		if req.oneShot {
			return nil, err
		}
		// Its start is recorded: its env_file went away while it waited
		// for a place, say. Record that it failed to start, or its row
		// would say running for as long as this process lives.
		rep = s.notStarted(p, h, ops.ClassValidation, err.Error(), "not run: the run could not start")
		publishReport(h.stream, rep)
		s.finishRun(rep, p, h)
		s.logEnd(rep, req)
		return rep, err
	}
	pub.replaced() // the report's rows replace the live ones: nothing may follow them
	s.finishRun(rep, p, h)
	return rep, nil
}

// confirmHint is what a denied confirm: step of req tells to do: the
// request's, else its trigger's; "" is the engine's default.
func (s *Service) confirmHint(req *Request) string {
	if req.ConfirmHint != "" {
		return req.ConfirmHint
	}
	return s.cfg.ConfirmHints[req.Caller.Trigger]
}

// inputHint is what a required input of req nobody gave tells to do: the
// request's, else its trigger's; nil is the engine's default.
func (s *Service) inputHint(req *Request) engine.InputHint {
	if req.InputHint != nil {
		return req.InputHint
	}
	return s.cfg.InputHints[req.Caller.Trigger]
}
