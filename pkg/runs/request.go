package runs

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Trigger says which front end started a run.
type Trigger string

// The triggers, as recorded in history.
const (
	TriggerCLI      Trigger = "cli"
	TriggerSchedule Trigger = "schedule"
	TriggerAPI      Trigger = "api"
)

// Caller is who asks for a run: the roles it is authorized with, and, for
// the audit log and history, who that is.
type Caller struct {
	Roles []string
	// Name is who the caller is: the OS user for the CLI, the key name or
	// certificate subject for the API, "scheduler" for cron.
	Name string
	// From is where the caller is: the host for the CLI, the client address
	// for the API.
	From    string
	Trigger Trigger
	// Slot is the time a scheduled run was due, before jitter.
	Slot time.Time
}

// Sinks are the files a run's report is written to, besides the state
// dir. Empty paths are not written.
type Sinks struct {
	Report   string // JSON
	JUnit    string
	Markdown string
	HTML     string
	// StepSummary appends the Markdown summary to $GITHUB_STEP_SUMMARY
	// (from the request's environment) when that is set.
	StepSummary bool
}

// Request is everything one run needs. Exactly one of Path and Playbook is
// set.
type Request struct {
	// Path is the playbook file to load.
	Path string
	// Playbook is an already loaded and validated playbook.
	Playbook *steps.Playbook
	// FileChecked, with Playbook, is what a check of the playbook's file
	// (steps.DiskCheck) found just before the request was made: the
	// run's warning that the file changed since it was loaded comes from
	// it, and the file is not looked at again. Nil: the service checks.
	FileChecked *steps.FileVerdict
	// RunID, when set, is the run's id instead of a new one: a run that
	// was queued (pkg/queue) keeps the id its caller was given. It must be
	// an id engine.NewRunID made.
	RunID string
	// Inputs are typed input values (from an inputs file or an API body).
	Inputs map[string]any
	// InputText are name=value inputs from a command line, converted by
	// each input's type; they win over Inputs.
	InputText map[string]string
	Caller    Caller
	// Policy authorizes the run; nil means the service's policy.
	Policy *auth.Policy
	// Recheck, when set, is asked again as the run takes its run slot,
	// after any wait for the slot or its concurrency group: while it
	// waited, a reload may have taken the caller's key away, changed its
	// roles, or narrowed the policy. It returns the policy in force now
	// (nil: the service's), or an error that says why the caller may no
	// longer start anything (the key was removed). The run starts only if
	// its roles pass that policy's preflight; otherwise it ends there, not
	// started, as a run the preflight refused. It is called on the run's
	// goroutine and must not block. A front end whose callers and policy
	// cannot change while a run waits leaves it nil.
	Recheck func() (*auth.Policy, error)
	DryRun  bool
	// Yes answers every confirm: question with yes.
	Yes bool
	// Confirmer asks confirm: questions; without one (and without Yes or
	// Ask) such steps are denied.
	Confirmer engine.Confirmer
	// Ask makes the run's confirm: questions wait for an answer given
	// through its handle (Handle.Answer), announced by confirm_asked
	// events, until answered or the run ends; the front end decides who
	// may answer. Yes and Confirmer win over it.
	Ask bool
	// ConfirmHint completes the error of a confirm: step denied because
	// nobody can be asked (no Yes, Confirmer or Ask), in the words of the
	// front end: how to get the question asked there. "" means the
	// service's hint for the request's trigger (Config.ConfirmHints), else
	// engine.DefaultConfirmHint, which names the CLI's --yes.
	ConfirmHint string
	// InputHint says, in the words of the front end, how to give a
	// required input nobody gave; nil means the service's hint for the
	// request's trigger (Config.InputHints), else engine.CLIInputHint.
	InputHint engine.InputHint
	// Requeue is for a front end with a queue of its own that another
	// process also serves: a run still waiting for a place (the running
	// limit, its concurrency group) when the service shuts down ends
	// with ErrShuttingDown and is not recorded, for the caller to put
	// back in its queue, rather than being recorded cancelled.
	Requeue bool
	// ResumeFrom names the failed run to resume: a report file, or a run
	// id in the state dir's history. Its signature is checked with the
	// state dir's key; see docs/authorization.md for what an unverified
	// report may be used for.
	ResumeFrom string
	// Resume is a failed run's report already in memory; it counts as
	// unverified. Force resumes although the playbook changed, when the
	// reused steps did not.
	Resume *report.Report
	Force  bool
	// InputsFile is a YAML or JSON file of input values, read strictly;
	// Inputs and InputText win over it.
	InputsFile string
	// Env is the environment the run may read; nil means the service's.
	Env   Env
	Sinks Sinks
	// Reads names other files the front end read for this run (the
	// policy, the audit log), by what they are; no sink may replace them.
	Reads map[string]string
	// Log receives the run's log lines at LogLevel; nil means the
	// service's.
	Log      io.Writer
	LogLevel zerolog.Level
	// LogFields are key, value pairs (in turn) every log line of the run
	// carries besides its run_id: who started it (component: scheduler).
	LogFields []string
	// StartLogged: the front end logs the run's start itself (the
	// scheduler's "run started", with the slot's delay), so the run's own
	// log leaves its "run started" line out.
	StartLogged bool
	// StartAfter, when set, holds the run back once it has its run slot,
	// before anything of it is run or logged, until it is closed: the
	// front end that logs the run's start (StartLogged) closes it once
	// that line is written, so that the run's own lines come after it.
	StartAfter <-chan struct{}
	// ProcessOutput, when set, receives the live output of processes,
	// a line at a time, prefixed with the step id.
	ProcessOutput io.Writer
	// MaxParallel bounds the steps that run at once (0: the default).
	MaxParallel int

	// oneShot marks an executed operation: no live history rows, no event
	// replay, no report file; history records it in a batch at its end.
	oneShot bool
	// BaseURL, when set, is where the run's page is found: the run's link
	// (run.url, and the link of notifications) is BaseURL with {run_id}
	// replaced by the run's id, or, without {run_id} in it, BaseURL
	// followed by /runs/RUN_ID.
	BaseURL string
	// Selection runs part of the playbook (--from, --only); the zero
	// value runs all of it. See engine.Selection.
	Selection engine.Selection
	// Notice receives what the run waits for before it starts (its
	// concurrency group); nil discards it.
	Notice func(format string, args ...any)
}

// RunLink is the link of run id under base; see Request.BaseURL.
func RunLink(base, id string) string {
	if base == "" {
		return ""
	}
	if strings.Contains(base, "{run_id}") {
		return strings.ReplaceAll(base, "{run_id}", id)
	}
	return strings.TrimRight(base, "/") + "/runs/" + id
}

// Env is the environment a run may read: ${{ env.X }}, the environment of
// process-starting steps, $GITHUB_STEP_SUMMARY and inputs with env:. An
// Environ of nil is an environment of no variables.
type Env interface {
	LookupEnv(name string) (string, bool)
	Environ() []string
}

// hostEnviron is env's environment as the engine takes it, never nil: an
// Env whose Environ returns nil has no variables, while nil means the
// process's own to Plan.Environ, and none to the run (engine.WithEnviron);
// inputs with env: would be resolved in the one, the run made in the
// other, and a server's environment would reach its callers' inputs.
func hostEnviron(env Env) []string {
	if list := env.Environ(); list != nil {
		return list
	}
	return []string{}
}

// ProcessEnv is the process's own environment.
type ProcessEnv struct{}

// LookupEnv implements Env.
func (ProcessEnv) LookupEnv(name string) (string, bool) { return os.LookupEnv(name) }

// Environ implements Env.
func (ProcessEnv) Environ() []string { return os.Environ() }

// AllowEnv is the part of another environment named by an allow-list; a
// server passes only these to its callers' playbooks.
type AllowEnv struct {
	From  Env
	Names []string
}

// LookupEnv implements Env.
func (a AllowEnv) LookupEnv(name string) (string, bool) {
	for _, n := range a.Names {
		if n == name {
			return a.from().LookupEnv(name)
		}
	}
	return "", false
}

// Environ implements Env.
func (a AllowEnv) Environ() []string {
	// Never nil, even when no name is set: a nil environment means the
	// process's own to the engine and the operations, the very thing an
	// allow list is there to keep from them.
	out := []string{}
	for _, n := range a.Names {
		if v, ok := a.from().LookupEnv(n); ok {
			out = append(out, n+"="+v)
		}
	}
	return out
}

func (a AllowEnv) from() Env {
	if a.From == nil {
		return ProcessEnv{}
	}
	return a.From
}

// listEnv is an environment given as KEY=value entries, the last entry of
// a name winning.
type listEnv []string

// LookupEnv implements Env.
func (l listEnv) LookupEnv(name string) (string, bool) {
	for i := len(l) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(l[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// Environ implements Env.
func (l listEnv) Environ() []string { return l }

// MapEnv is a fixed environment, for tests and embedders.
type MapEnv map[string]string

// LookupEnv implements Env.
func (m MapEnv) LookupEnv(name string) (string, bool) { v, ok := m[name]; return v, ok }

// Environ implements Env.
func (m MapEnv) Environ() []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}
