package engine

import (
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// RunOption configures one run. It is a value that names the option and
// holds its argument, not a closure: a server gives each of its runs
// about ten options, and a closure that captures its argument costs an
// allocation each, as does the run's options once a closure sets them.
type RunOption struct {
	kind  optKind
	str   string
	str2  string
	strs  []string
	val   any
	flag  bool
	level zerolog.Level
	at    time.Time
}

// optKind names a run option.
type optKind uint8

// The run options, one for each function that makes one.
const (
	optNone optKind = iota
	optWarnings
	optCaller
	optURL
	optEnviron
	optID
	optDryRun
	optYes
	optConfirmHint
	optRoles
	optLog
	optLogFields
	optStartLogged
	optProcessOutput
	optAuthorizer
	optObserver
	optPreflight
	optSelection
	optInventory
	optResume
	optStartedAt
)

// apply sets a's option in o.
func (a RunOption) apply(o *runOptions) {
	switch a.kind {
	case optWarnings:
		o.warnings, o.quiet = a.strs, a.flag
	case optCaller:
		o.who, o.from = a.str, a.str2
	case optURL:
		o.url = a.str
	case optEnviron:
		o.environ = a.strs
		if o.environ == nil {
			o.environ = []string{}
		}
	case optID:
		o.id = a.str
	case optDryRun:
		o.dryRun = true
	case optYes:
		o.yes = true
	case optConfirmHint:
		o.confirmHint = a.str
	case optRoles:
		o.roles = a.strs
	case optLog:
		o.logOut, o.logLevel, o.logSet = writerOf(a.val), a.level, true
	case optLogFields:
		o.logFields = a.strs
	case optStartLogged:
		o.startLogged = true
	case optProcessOutput:
		o.procOut = writerOf(a.val)
	case optAuthorizer:
		o.auth, _ = a.val.(Authorizer)
	case optObserver:
		o.observer, _ = a.val.(Observer)
	case optPreflight:
		o.preflight, _ = a.val.(map[string]report.Decision)
	case optSelection:
		if sel := (Selection{From: a.str, Only: a.strs}); !sel.IsZero() {
			o.sel = &sel
		}
	case optInventory:
		inv, _ := a.val.(*inventory.Inventory)
		o.inventory = steps.InventoryData(inv)
	case optResume:
		o.resume, _ = a.val.(*report.Report)
	case optStartedAt:
		o.startedAt = a.at
	}
}

type runOptions struct {
	id       string
	dryRun   bool
	yes      bool
	roles    []string
	logOut   io.Writer
	logLevel zerolog.Level
	logSet   bool
	// logFields are the key, value pairs every log line of the run and
	// of its sub-runs carries (WithLogFields).
	logFields []string
	// startLogged: the front end logs the run's start itself
	// (StartLogged); sub-runs log theirs.
	startLogged bool
	procOut     io.Writer
	resume      *report.Report
	observer    Observer
	auth        Authorizer
	chain       []chainLink // for playbook.run: the playbooks of the enclosing runs and this one's; nil for a first run
	// inputRoots confine where the inputs' from_file and the env_file
	// files are read: nil, from any file the process can read (env files
	// inside the playbook's tree); else only inside these roots (see
	// subInputRoots), and the run's expressions and inputs read only the
	// variables of those env files, not the host's (see readEnv).
	inputRoots []string
	parent     string // the run id of the run that started this one
	// parentStep is the step of the parent run that started this one,
	// a fan-out's item named as Call.ItemPath names it.
	parentStep string
	// tolerated says that the step that started this run, or one
	// above it, goes on past its failure (see Event.Tolerated).
	tolerated bool
	environ   []string // the host environment; nil = the process's
	// hostEnv is the environment the outermost run was given, before
	// any env file; fileVars are the variables of the env files of this
	// run and of those that started it. A sub-run's own env files
	// override its callers' files, not the host's environment.
	hostEnv  []string
	fileVars map[string]string
	// fileEnv are the entries of environ that fileVars set (the host's
	// do not): what the processes of the run get from env files, judged
	// as a step's env is (ops.Call.FileEnv); fileAt says where the files
	// set a name; envFiles are the playbooks whose env files fileVars
	// were read from, with the roots they were read in, outermost first.
	fileEnv  []string
	fileAt   func(name string) string
	envFiles []envFileSource
	// preflight are the decisions made before the run, by step path
	// ("id", or "step/id" inside a sub-playbook), read and never changed
	// (see preflightOf); prefix is this run's path in them.
	preflight map[string]report.Decision
	prefix    string
	who       string     // who started the run, for the auditor
	from      string     // where they started it from
	url       string     // the run's page, for run.url; "" when unknown
	sel       *Selection // the steps to run, for a partial run; nil = all
	// inventory is the plain data of inventory.hosts (WithInventory).
	inventory map[string]any

	// confirmHint says why a confirm: step could not be asked and what
	// to do instead; "" means DefaultConfirmHint.
	confirmHint string
	// warnings are said about the whole run (WithWarnings); quiet: the
	// front end logged them already.
	warnings []string
	quiet    bool
	// startedAt is the run's start as its front end read it
	// (WithStartedAt); zero: the engine's clock, when the run begins.
	startedAt time.Time
}

// WithWarnings gives the run warnings about it as a whole, which the
// front end found before it started (its playbook's file changed since
// it was loaded, say): the run's log has each after its "run started"
// line, unless quiet (the front end logged them itself, with what only
// it knows), and its run_started event and report carry them. Sub-runs
// do not inherit them.
func WithWarnings(quiet bool, warnings ...string) RunOption {
	return RunOption{kind: optWarnings, strs: warnings, flag: quiet}
}

// WithCaller records who started the run and from where (a user and host,
// an API key's name and client address); the auditor reads them from
// Call.Caller. Sub-runs inherit them.
func WithCaller(who, from string) RunOption {
	return RunOption{kind: optCaller, str: who, str2: from}
}

// WithRunURL gives the run the address of its page, for run.url in
// expressions and the link of notifications.
func WithRunURL(url string) RunOption {
	return RunOption{kind: optURL, str: url}
}

// WithEnviron sets the host environment the run reads (${{ env.X }}) and
// passes on to the processes it starts, as KEY=value; without it, the
// process's own. A nil env is an empty one, not the process's, unlike
// Plan.Environ's given: callers that resolve inputs with Plan.Environ pass
// it a non-nil list, so that both mean the same environment.
func WithEnviron(env []string) RunOption {
	return RunOption{kind: optEnviron, strs: env}
}

// WithStartedAt gives the run the start its front end read from the
// clock when it recorded the run as started, so that the report says the
// same start as that record: its started_at, and its duration, count
// from t. Sub-runs read their own start.
func WithStartedAt(t time.Time) RunOption {
	return RunOption{kind: optStartedAt, at: t}
}

// WithRunID sets the run's id instead of a random one.
func WithRunID(id string) RunOption {
	return RunOption{kind: optID, str: id}
}

// DryRun evaluates conditions and interpolation but executes only
// operations whose risk is read; the others are reported as skipped.
func DryRun() RunOption { return RunOption{kind: optDryRun} }

// DryRun reports whether the call belongs to a dry run (a sub-run of one
// too). The only call of an operation that is not read-only that a dry run
// lets through is playbook.run, whose sub-run is a dry run: what it
// returns is not what a real run would have done.
func (c *Call) DryRun() bool { return c.run != nil && c.run.o.dryRun }

// AssumeYes answers every confirm: question with yes.
func AssumeYes() RunOption { return RunOption{kind: optYes} }

// DefaultConfirmHint completes the error of a confirm: step denied because
// nobody can be asked, for a run started from a command line: "step needs
// confirmation (QUESTION) but " DefaultConfirmHint.
const DefaultConfirmHint = "there is no terminal to ask; run with --yes to confirm"

// YesFlag is who answered a confirm: question that WithYes answered: the
// confirmation a step records says so, as it names whoever answers one.
const YesFlag = "--yes"

// WithConfirmHint replaces DefaultConfirmHint for a front end that has no
// terminal and no --yes (the REST API): hint says, in that front end's
// words, why nobody was asked and how to get the question asked. Sub-runs
// inherit it.
func WithConfirmHint(hint string) RunOption {
	return RunOption{kind: optConfirmHint, str: hint}
}

// WithRoles records the caller's roles in the report and hands them to the
// authorizer.
func WithRoles(roles ...string) RunOption {
	return RunOption{kind: optRoles, strs: roles}
}

// WithRunLog sends this run's log lines to w instead of the engine's.
func WithRunLog(w io.Writer, level zerolog.Level) RunOption {
	return RunOption{kind: optLog, val: w, level: level}
}

// WithLogFields adds key, value pairs (kv holds them in turn) to every
// log line of this run and of its sub-runs: the front end that started it
// says so on its lines (component: scheduler for a scheduled run).
func WithLogFields(kv ...string) RunOption {
	return RunOption{kind: optLogFields, strs: kv}
}

// StartLogged leaves the run's "run started" line out of its log: the
// front end writes one of its own, with what only it knows (the scheduler,
// its slot's fire delay), and a run must not be said to start twice. The
// run_started event is emitted as ever, and sub-runs log their start.
func StartLogged() RunOption { return RunOption{kind: optStartLogged} }

// WithProcessOutput streams the live output of processes that steps run to
// w, a line at a time, prefixed with the step id and masked.
func WithProcessOutput(w io.Writer) RunOption {
	return RunOption{kind: optProcessOutput, val: w}
}

// WithRunAuthorizer authorizes this run's calls instead of the engine's
// authorizer; servers that run for many callers set one per run.
func WithRunAuthorizer(auth Authorizer) RunOption {
	return RunOption{kind: optAuthorizer, val: auth}
}

// WithRunObserver receives this run's progress events, besides the
// engine's observer.
func WithRunObserver(obs Observer) RunOption {
	return RunOption{kind: optObserver, val: obs}
}

// WithPreflight gives the run the authorization decisions made before it
// started, by step path: "id" for the playbook's steps, "step/id" for the
// steps of a sub-playbook that step runs. A step that does not reach the
// authorizer at run time (skipped, or not started) reports its preflight
// decision, and a dry run whose preflight denied a step fails with class
// authorization, so a dry run doubles as a permission check. The run and
// its sub-runs read decisions and never change them; nor may the caller
// while they run.
func WithPreflight(decisions map[string]report.Decision) RunOption {
	return RunOption{kind: optPreflight, val: decisions}
}

// preflightOf returns the preflight decision of the step at path, nil
// when there is none: a copy, for the decisions are the caller's and
// shared with sub-runs.
func (o *runOptions) preflightOf(path string) *report.Decision {
	d, ok := o.preflight[path]
	if !ok {
		return nil
	}
	return &d
}

// writerOf is the io.Writer an option holds, nil for none.
func writerOf(v any) io.Writer {
	w, _ := v.(io.Writer)
	return w
}
