package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// maxInputsFile is the largest --inputs file: the limit of a playbook,
// which steps.LoadInputs applies too.
const maxInputsFile = steps.MaxFileSize

// runner carries one `run` from flags to exit code.
type runner struct {
	e    *env
	o    runOptions
	c    *command
	path string
	gh   *ghNotes // nil outside GitHub Actions

	// handle is the run once started, for a repeated signal to write its
	// report before the process exits.
	handleMu sync.Mutex
	handle   *runs.Handle
}

func (r *runner) run() int {
	e, o := r.e, r.o
	defer r.watchSafe()()
	reg, code := e.registry()
	if reg == nil {
		return code
	}
	defer reg.Close()
	if o.inputsFile != "" {
		// Checked before anything is read: a FIFO would block the read
		// forever and a device feed it without end.
		if err := fsx.CheckRegular(o.inputsFile, maxInputsFile); err != nil {
			if big := (*fsx.TooLargeError)(nil); errors.As(err, &big) {
				return usageError(e, r.c, "--inputs: %s is %s, over the limit of %s; give a YAML or JSON file of at most %s, and pass large values in a file the playbook reads instead",
					big.Path, fsx.Size(big.Size), fsx.Bytes(maxInputsFile), fsx.Bytes(maxInputsFile))
			}
			return usageError(e, r.c, "--inputs: %v; give a YAML or JSON file of at most %s", err, fsx.Bytes(maxInputsFile))
		}
	}
	if msg := r.flagIsPlaybook(); msg != "" {
		e.say(msg + "\nnothing ran\n")
		return ExitUsage
	}
	remoteSettings, ok := o.remote.settings(e)
	if !ok {
		return ExitUsage
	}
	// Protected before the playbook is read, so that naming the state
	// dir's key or the policy as the playbook is refused, not quoted.
	if o.stateDir != "" {
		fsroot.Protect(o.stateDir, "state dir")
	}
	if o.policy != "" {
		fsroot.Protect(o.policy, "policy file")
	}
	pb, err := steps.Load(r.path, reg, steps.WithInventory(remoteSettings.Inventory))
	if err != nil {
		r.gh.diagnostics(err)
		return r.loadProblems(err, r.path)
	}
	r.loadWarnings(pb.Warnings)
	r.gh.diagnostics(pb.Warnings)
	if o.list {
		return r.list(reg, pb)
	}
	var policy *auth.Policy
	if o.policy != "" {
		if policy, err = auth.LoadPolicy(o.policy, reg); err != nil {
			r.gh.diagnostics(err)
			return r.loadProblems(err, "the policy "+o.policy)
		}
		r.loadWarnings(policy.Warnings)
	}
	if msg := unknownRole(cmp.Or(policy, auth.Builtin()), o.roles, o.rolesFrom); msg != "" {
		return usageError(e, r.c, "%s", msg)
	}
	level, console := r.logLevel()
	pal := e.paletteFor(e.stderr)
	width, height := termSize(e.stderr)
	confirmable, noAsk := r.canAsk()
	// From here on the run's events, its warnings and questions all go to
	// stderr from several goroutines: one lock keeps their lines whole.
	stderr := &lockedWriter{w: e.stderr}
	e.stderr = stderr
	// Signals are taken from here on: opening the state (a slow disk, a
	// history being migrated, a lock waited for) can take seconds, and a
	// Ctrl-C meanwhile must not kill the process in the middle of it.
	ctx, stop, hangUp := r.signals(pb)
	defer stop()
	audit, closeAudit, ok := r.openAuditLog()
	if !ok {
		return ExitUsage
	}
	defer closeAudit()
	warn := func(format string, args ...any) { r.noticef(zerolog.WarnLevel, format, args...) }
	tp, problem, ok := o.trace.provider(e, warn)
	if !ok {
		return usageError(e, r.c, "%s", problem)
	}
	defer tp.Shutdown(context.Background())
	if o.stateDir != "" {
		if msg := stateDirWarning(o.stateDir); msg != "" {
			warn("%s", msg)
		}
	}
	// ctx ends a wait for the database (a host that drops packets, a
	// migration of another process) as it ends one for a state dir.
	shared, err := openShared(ctx, o.spec, warn)
	var svc *runs.Service
	if err == nil {
		// ctx ends a wait for another process opening the state dir:
		// a Ctrl-C meanwhile stops it at once.
		svc, err = runs.NewServiceContext(ctx, runs.Config{Registry: reg, Policy: policy, StateDir: o.stateDir, Store: shared, Audit: audit,
			KeepRuns: o.keepRuns, KeepDays: o.keepDays, Warn: warn, Telemetry: tp, Remote: remoteSettings})
	}
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		r.noticef(zerolog.WarnLevel, "%v before the run started, while it waited to open the state; nothing ran", context.Cause(ctx))
		return exitCode(&report.Report{Status: report.StatusCancelled}, context.Cause(ctx))
	}
	if err != nil {
		// The run was asked to be recorded there.
		// The store's errors name the database themselves: it is
		// named once, as the user gave it (--state or $ARSENAL_STATE).
		msg := err.Error()
		switch {
		case o.spec.Postgres():
			msg = o.state.errorText(o.spec, err)
		case o.stateDir != "":
			msg = fmt.Sprintf("--state-dir %s: %v", o.stateDir, err)
		}
		r.noticef(zerolog.ErrorLevel, "%s; nothing ran", msg)
		if ctx.Err() != nil {
			return exitCode(&report.Report{Status: report.StatusCancelled}, context.Cause(ctx))
		}
		return ExitUsage
	}
	defer svc.Close()
	if ctx.Err() != nil {
		// Interrupted while the state was opened: it is closed again,
		// whole, and no run is started.
		r.noticef(zerolog.WarnLevel, "%v before the run started; nothing ran", context.Cause(ctx))
		return exitCode(&report.Report{Status: report.StatusCancelled}, context.Cause(ctx))
	}
	if svc.Interrupted > 0 {
		r.noticef(zerolog.WarnLevel, "marked %s of earlier processes interrupted", plural(svc.Interrupted, "run", "runs"))
	}
	req, code, ok := r.request(pb, policy)
	if !ok {
		return code
	}
	req.ConfirmHint = noAsk
	var live *liveView
	var gate *askGate
	confirmer := &terminalConfirmer{in: e.stdin, out: e.stderr}
	if confirmable {
		req.Confirmer = confirmer
		gate = newAskGate()
		confirmer.gate = gate
	}
	// The live view on a terminal, or log lines, render the run's events.
	var view engine.Observer
	var logs *logView
	if console {
		// Every other write to stderr goes through the view while it is
		// shown, above its block (see liveView.Write).
		live = newSizedLiveView(stderr.swap(nil), pal, o.quiet, width, height)
		live.gate = gate
		stderr.swap(live)
		confirmer.view = live // the question must not be redrawn over
		defer live.close()
		view = live
	} else {
		if confirmable {
			// Log lines, and everything else written to the terminal,
			// wait while a question does (see questionHold).
			hold := &questionHold{w: stderr.swap(nil)}
			stderr.swap(hold)
			confirmer.view = hold
		}
		logs = newLogView(e.stderr, o.logFormat == "json", level, o.logFormat == "console" && pal.on)
		logs.gate = gate
	}

	confirmer.hangUp = hangUp
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: 1, MaxQueued: -1})
	defer mgr.Shutdown(context.Background())
	h, err := mgr.Start(ctx, req)
	if err != nil {
		return r.prepareError(err)
	}
	r.gh.started()
	r.handleMu.Lock()
	r.handle = h
	r.handleMu.Unlock()
	// Cut off from a shared database for half its lease, a run of a group
	// stops before the others take this process for dead and free it.
	fence := newRunFence(shared, func(_ *steps.Playbook, _ *runs.Handle, cause error) {
		r.noticef(zerolog.ErrorLevel, "%v", cause)
	})
	fence.watch(pb, h)
	var watched sync.WaitGroup
	watched.Add(1)
	go func() {
		defer watched.Done()
		if logs != nil {
			logs.follow(h.Events(), h.ID())
		} else {
			render(h.Events(), view)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			h.Cancel(context.Cause(ctx))
		case <-h.Done():
		}
	}()
	rep, err := h.Wait(context.Background())
	watched.Wait()
	fence.wait()
	if live != nil {
		live.close()
	}
	if err != nil {
		r.notice(zerolog.ErrorLevel, fmt.Sprintf("%s: %v\nnothing ran\n", r.path, err), fmt.Sprintf("%s: %v; nothing ran", r.path, err))
		return ExitUsage
	}
	if refusal := h.Refusal(); refusal != "" {
		r.notice(zerolog.ErrorLevel, refusal, strings.TrimRight(refusal, "\n"))
	}
	if denied := h.Denied(); len(denied) > 0 {
		r.writeDenial(denied, pal, width, whoCan(rolesAllowing(policy, reg, o.roles, func(p *auth.Policy, roles []string) ([]auth.StepDecision, error) {
			return svc.Preflight(p, roles, pb)
		}), o.policy))
	}
	report.WriteTextFit(e.stdout, rep, termWidth(e.stdout))
	r.gh.report(rep, pb, h.SinkErrors())
	r.writeResumeHint(rep)
	code = exitCode(rep, context.Cause(ctx))
	if errs := h.SinkErrors(); len(errs) > 0 {
		r.noticef(zerolog.ErrorLevel, "the run ended %s, but %s of it could not be written (see above)", rep.Status, plural(len(errs), "record", "records"))
		if code == ExitOK {
			code = ExitFailed
		}
	}
	return code
}

// started reports whether the run was started (not refused before).
func (r *runner) started() bool {
	r.handleMu.Lock()
	defer r.handleMu.Unlock()
	return r.handle != nil
}

// render feeds a run's events to an observer until the stream ends.
func render(s *runs.Stream, to engine.Observer) {
	<-s.Observe(to, func(v any) {})
}

// logLevel picks the level and says whether the live view is on: on a
// terminal with console logs, the view shows each step's outcome, so logs
// default to errors (a failed step is logged as a warning).
func (r *runner) logLevel() (zerolog.Level, bool) {
	console := r.o.logFormat == "console" && r.e.canRedraw(r.e.stderr)
	level := zerolog.InfoLevel
	if console {
		level = zerolog.ErrorLevel
	}
	if r.o.logLevel != "" {
		// runRun accepted only the names of logLevels.
		if l, err := zerolog.ParseLevel(r.o.logLevel); err == nil {
			level = l
		}
	}
	return level, console
}
