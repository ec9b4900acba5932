package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// runCommand describes `run`.
func runCommand() *command {
	return &command{
		name:    "run",
		summary: "run a playbook",
		synopsis: `run PLAYBOOK [--input k=v]... [--inputs FILE] [--role R]... [--policy FILE]
    [--report FILE] [--junit FILE] [--markdown FILE] [--html FILE] [--dry-run]
    [--yes] [--resume REPORT [--force]] [--state-dir DIR] [--audit-log FILE]
    [--log-format console|json] [--log-level LEVEL] [--max-parallel N]
    [--keep-runs N] [--keep-days D]`,
		help: `Validate a playbook, authorize every step for the caller's roles, then run it.
Nothing runs unless the whole playbook validates and every step is allowed.
On a terminal the run shows live progress; otherwise it logs plain lines
(JSON lines with --log-format json). The end of every run prints a summary;
the JSON report goes to --report (and under --state-dir), written atomically
even when the run fails or is cancelled. Every report path is checked before
the run starts: it must be a regular file or a new one, not a file the run
reads, in a directory that can be created and written. SIGINT or SIGTERM
cancels the run: running steps are cancelled, finally runs, the report is
written. A second signal within a second is the same request; one after
that exits at once, writing a cancelled report if it can within 100ms.`,
		exits: "0 succeeded; 1 the run failed, or a report could not be written; 2 usage or validation error, bad inputs, or a report path that fails its checks; 3 a step was denied; 130 SIGINT; 143 SIGTERM.",
		run:   runRun,
	}
}

// runOptions are the flags of `arsenal-run run`.
type runOptions struct {
	inputs     multiFlag
	inputsFile string
	roles      listFlag
	policy     string
	reportPath string
	junit      string
	markdown   string
	html       string
	dryRun     bool
	yes        bool
	resume     string
	force      bool
	stateDir   string
	auditLog   string
	logFormat  string
	logLevel   string
	parallel   int
	keepRuns   int
	keepDays   int
}

// multiFlag is a repeatable flag whose values are taken whole: an input's
// value may hold commas.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runRun(e *env, args []string) int {
	c := runCommand()
	fs := newFlags(e, c)
	var o runOptions
	fs.Var(&o.inputs, "input", "set input `k=v` (repeatable; lists and maps as JSON)")
	fs.StringVar(&o.inputsFile, "inputs", "", "read inputs from a YAML or JSON `FILE`")
	fs.Var(&o.roles, "role", "run as role `R` (repeatable; default $ARSENAL_ROLES, else operator)")
	fs.StringVar(&o.policy, "policy", "", "authorize with the policy `FILE` instead of the built-in one")
	fs.StringVar(&o.reportPath, "report", "", "write the JSON report to `FILE`")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to `FILE`")
	fs.StringVar(&o.markdown, "markdown", "", "write a Markdown summary to `FILE`")
	fs.StringVar(&o.html, "html", "", "write a self-contained HTML report to `FILE`")
	fs.BoolVar(&o.dryRun, "dry-run", false, "evaluate everything but execute only read operations")
	fs.BoolVar(&o.yes, "yes", false, "answer yes to every confirm: question")
	fs.StringVar(&o.resume, "resume", "", "rerun the failed run of `REPORT`, reusing the steps that succeeded")
	fs.BoolVar(&o.force, "force", false, "with --resume: resume although the playbook changed, if the reused steps did not")
	fs.StringVar(&o.stateDir, "state-dir", "", "record history and reports under `DIR` (default $ARSENAL_STATE_DIR)")
	fs.StringVar(&o.auditLog, "audit-log", "", "append one JSON line per executed or denied step to `FILE`")
	fs.StringVar(&o.logFormat, "log-format", "console", "log lines as console or json")
	fs.StringVar(&o.logLevel, "log-level", "", "debug, info, warn or error (default info; error with the live view)")
	fs.IntVar(&o.parallel, "max-parallel", engine.DefaultMaxParallel, "run at most `N` steps at once")
	fs.IntVar(&o.keepRuns, "keep-runs", 0, "with a state dir: keep the newest `N` runs of each playbook (0 = all)")
	fs.IntVar(&o.keepDays, "keep-days", 0, "with a state dir: drop runs older than `D` days (0 = never)")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fs.usageError("give exactly one playbook, like 'run playbooks/hello.yaml'")
	}
	if o.logFormat != "console" && o.logFormat != "json" {
		return fs.usageError("--log-format is console or json, not %q", o.logFormat)
	}
	if o.logLevel != "" && !contains(logLevels, o.logLevel) {
		return fs.usageError("--log-level is one of %s, not %q%s", strings.Join(logLevels, ", "), o.logLevel, suggest.DidYouMean(o.logLevel, logLevels))
	}
	if o.parallel < 1 {
		return fs.usageError("--max-parallel must be at least 1, not %d", o.parallel)
	}
	if o.keepRuns < 0 || o.keepDays < 0 {
		return fs.usageError("--keep-runs and --keep-days must be 0 (keep all) or more, not %d and %d", o.keepRuns, o.keepDays)
	}
	if o.stateDir == "" {
		o.stateDir = e.getenv("ARSENAL_STATE_DIR")
	}
	if len(o.roles) == 0 {
		if s := e.getenv("ARSENAL_ROLES"); s != "" {
			if err := o.roles.Set(s); err != nil {
				return fs.usageError("$ARSENAL_ROLES=%q: give role names separated by commas", s)
			}
		}
	}
	if len(o.roles) == 0 {
		o.roles = listFlag{auth.DefaultRole}
	}
	r := &runner{e: e, o: o, c: c, path: pos[0]}
	return r.run()
}

// maxInputsFile is the largest --inputs file.
const maxInputsFile = 4 << 20

// logLevels are the values --log-level takes.
var logLevels = []string{"debug", "info", "warn", "error"}

// runner carries one `run` from flags to exit code.
type runner struct {
	e    *env
	o    runOptions
	c    *command
	path string

	store     *history.Store // nil without a state dir
	statePath string         // the state dir's copy of the report
	sinkList  []sink
	progress  *progress // for the report of a run a repeated signal ends

	// finishing is taken by whichever writes the reports first: finish, or
	// the exit after a repeated signal; finished is closed when finish is
	// done.
	finishing    sync.Mutex
	finishedOnce sync.Once
	finished     chan struct{}
}

func (r *runner) run() int {
	e, o := r.e, r.o
	reg, ok := e.registry()
	if !ok {
		return ExitFailed
	}
	defer reg.Close()
	if o.inputsFile != "" {
		// Checked before anything is read: a FIFO would block the read
		// forever and a device feed it without end.
		if err := fsx.CheckRegular(o.inputsFile, maxInputsFile); err != nil {
			return usageError(e, r.c, "--inputs: %v; give a YAML or JSON file of at most %s", err, fsx.Bytes(maxInputsFile))
		}
	}
	pb, err := steps.Load(r.path, reg)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		fmt.Fprintf(e.stderr, "%s has problems; nothing ran\n", r.path)
		return ExitUsage
	}
	policy := auth.Builtin()
	if o.policy != "" {
		if policy, err = auth.LoadPolicy(o.policy, reg); err != nil {
			fmt.Fprintln(e.stderr, err)
			fmt.Fprintf(e.stderr, "the policy %s has problems; nothing ran\n", o.policy)
			return ExitUsage
		}
	}
	subject, err := policy.Subject(o.roles, pb)
	if err != nil {
		return usageError(e, r.c, "%v", err)
	}

	level, console := r.logLevel()
	logOut := io.Writer(e.stderr)
	if o.logFormat == "console" {
		logOut = zerolog.ConsoleWriter{Out: e.stderr, NoColor: !e.paletteFor(e.stderr).on, TimeFormat: "15:04:05.000", FormatPrepare: cleanLogEvent}
	}
	// Log lines and live process output come from many steps at once.
	logOut = &syncWriter{w: logOut}
	var audit *auth.AuditLog
	if o.auditLog != "" {
		if audit, err = auth.OpenAudit(o.auditLog); err != nil {
			e.errorf("%v", err)
			return ExitUsage
		}
		defer audit.Close()
	}
	engOpts := []engine.Option{engine.WithMaxParallel(o.parallel)}
	if audit != nil {
		engOpts = append(engOpts, engine.WithAuditor(audit))
	}
	confirmer := &terminalConfirmer{in: e.stdin, out: e.stderr}
	if !o.yes && e.isTerminal(e.stdin) && e.isTerminal(e.stderr) {
		engOpts = append(engOpts, engine.WithConfirmer(confirmer))
	}
	eng := engine.New(reg, engOpts...)
	plan := eng.Plan(pb)

	var prev *report.Report
	if o.resume != "" {
		if prev, err = report.Read(o.resume); err != nil {
			return usageError(e, r.c, "--resume: %v", err)
		}
		if err := plan.CheckResume(prev, o.force); err != nil {
			return usageError(e, r.c, "--resume: %v", err)
		}
	}
	inputs, err := r.inputs(plan, prev)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\nnothing ran\n", r.path, err)
		return ExitUsage
	}

	runID := engine.NewRunID()
	if err := r.openHistory(runID); err != nil {
		e.errorf("%v; nothing ran", err)
		return ExitUsage
	}
	if r.store != nil {
		defer r.store.Close()
	}

	decisions, err := policy.Preflight(o.roles, pb, reg)
	if err != nil {
		e.errorf("authorization: %v", err)
		return ExitUsage
	}
	r.sinkList = r.sinks()
	if err := checkSinks(r.sinkList, r.readFiles(decisions)); err != nil {
		fmt.Fprintf(e.stderr, "%s\nnothing ran\n", err)
		return ExitUsage
	}
	if denied := auth.Denied(decisions); len(denied) > 0 {
		rep := deniedReport(pb, runID, o.roles, decisions)
		if audit != nil {
			audit.Denied(runID, pb, o.roles, denied)
		}
		fmt.Fprintf(e.stderr, "authorization denied %s for role %s; nothing ran:\n%s", plural(len(denied), "step", "steps"), strings.Join(o.roles, ", "), auth.FormatDecisions(denied))
		r.finish(rep)
		return ExitDenied
	}

	r.progress = newProgress(pb, runID, o.roles, inputs, o.dryRun)
	ctx, stop := r.signals()
	defer stop()
	runOpts := []engine.RunOption{
		engine.WithRunID(runID),
		engine.WithRoles(o.roles...),
		engine.WithRunAuthorizer(auth.NewAuthorizer(subject)),
		engine.WithRunLog(logOut, level),
	}
	if o.dryRun {
		runOpts = append(runOpts, engine.DryRun())
	}
	if o.yes {
		runOpts = append(runOpts, engine.AssumeYes())
	}
	if prev != nil {
		runOpts = append(runOpts, engine.Resume(prev))
	}
	watchers := observers{r.progress}
	var live *liveView
	if console {
		live = newLiveView(e.stderr, e.paletteFor(e.stderr))
		confirmer.view = live // the question must not be redrawn over
		watchers = append(watchers, live)
	} else {
		runOpts = append(runOpts, engine.WithProcessOutput(processLog{logOut}))
	}
	runOpts = append(runOpts, engine.WithRunObserver(watchers))
	if r.store != nil {
		if err := r.store.RecordStart(ctx, history.Run{ID: runID, Playbook: pb.Name, Path: pb.File, SHA256: pb.SHA256, Roles: o.roles, Status: history.StatusRunning, StartedAt: time.Now(), ReportPath: r.statePath, ResumedFrom: resumedID(prev)}); err != nil {
			e.errorf("history: %v", err)
		}
	}
	rep, err := plan.Run(ctx, inputs, runOpts...)
	if live != nil {
		live.close()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\nnothing ran\n", r.path, err)
		return ExitUsage
	}
	code := exitCode(rep, context.Cause(ctx))
	if !r.finish(rep) && code == ExitOK {
		code = ExitFailed
	}
	return code
}

// logLevel picks the level and says whether the live view is on: on a
// terminal with console logs, the view shows each step's outcome, so logs
// default to errors (a failed step is logged as a warning).
func (r *runner) logLevel() (zerolog.Level, bool) {
	console := r.o.logFormat == "console" && r.e.isTerminal(r.e.stderr)
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

// inputs gathers the run's inputs: those of a resumed run (but not its
// masked secrets), then --inputs FILE, then --input flags.
func (r *runner) inputs(plan *engine.Plan, prev *report.Report) (map[string]any, error) {
	given := map[string]any{}
	if prev != nil {
		for k, v := range prev.Inputs {
			if in := plan.Playbook().Input(k); in != nil && !in.Secret {
				given[k] = v
			}
		}
	}
	if r.o.inputsFile != "" {
		data, err := os.ReadFile(r.o.inputsFile)
		if err != nil {
			return nil, fmt.Errorf("--inputs: %w", err)
		}
		var fromFile map[string]any
		if err := yaml.Unmarshal(data, &fromFile); err != nil {
			return nil, fmt.Errorf("--inputs %s: want a mapping of input names to values: %w", r.o.inputsFile, err)
		}
		for k, v := range fromFile {
			given[k] = v
		}
	}
	text := map[string]string{}
	for _, kv := range r.o.inputs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--input %q: write it as name=value", kv)
		}
		text[k] = v
	}
	parsed, err := plan.ParseInputs(text)
	if err != nil {
		return nil, err
	}
	for k, v := range parsed {
		given[k] = v
	}
	return plan.ResolveInputs(given, os.LookupEnv)
}

// openHistory opens the state dir's history and marks runs of crashed
// processes interrupted. Without a state dir it does nothing and the
// report goes only where --report says. A state dir that cannot be used is
// an error: the run was asked to be recorded there.
func (r *runner) openHistory(runID string) error {
	if r.o.stateDir == "" {
		return nil
	}
	store, err := history.Open(r.o.stateDir)
	if err != nil {
		return fmt.Errorf("--state-dir %s: %w", r.o.stateDir, err)
	}
	if n, err := store.MarkInterrupted(context.Background()); err == nil && n > 0 {
		fmt.Fprintf(r.e.stderr, "%s: marked %s of earlier processes interrupted\n", program, plural(n, "run", "runs"))
	}
	r.store = store
	r.statePath = filepath.Join(store.Reports(), runID+".json")
	return nil
}

// finish writes the report to every sink, records the run's end, prunes
// old runs and prints the summary. It returns false when a sink could not
// be written; the problems are printed. Once finish has begun, a repeated
// signal waits for it instead of writing a report of its own.
func (r *runner) finish(rep *report.Report) bool {
	// Held for good: a repeated signal that took it first is writing its
	// own report and ends the process.
	r.finishing.Lock()
	defer close(r.finishedCh())
	e, o := r.e, r.o
	errs := r.writeSinks(rep, r.sinkList)
	for _, err := range errs {
		e.errorf("%v", err)
	}
	if r.store != nil && (o.keepRuns > 0 || o.keepDays > 0) {
		if _, err := r.store.Prune(context.Background(), o.keepRuns, o.keepDays); err != nil {
			e.errorf("history: prune: %v", err)
		}
	}
	report.WriteText(e.stdout, rep)
	if len(errs) > 0 {
		e.errorf("the run ended %s, but %s of it could not be written (see above)", rep.Status, plural(len(errs), "record", "records"))
		return false
	}
	return true
}

// finishedCh is closed when finish is done.
func (r *runner) finishedCh() chan struct{} {
	r.finishedOnce.Do(func() { r.finished = make(chan struct{}) })
	return r.finished
}

func resumedID(prev *report.Report) string {
	if prev == nil {
		return ""
	}
	return prev.RunID
}
