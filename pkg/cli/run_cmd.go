package cli

import (
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// runCommand describes `run`.
func runCommand() *command {
	return &command{
		name:    "run",
		summary: "run a playbook",
		synopsis: `run PLAYBOOK [--input k=v]... [--inputs FILE] [--role R]... [--policy FILE]
    [--report FILE] [--junit FILE] [--markdown FILE] [--html FILE] [--dry-run]
    [--yes] [--resume REPORT [--force]] [--from STEP | --only STEP...]
    [--state-dir DIR | --state URL [--report-dir DIR]] [--audit-log FILE] [--base-url URL]
    [--log-format console|json] [--log-level LEVEL] [--max-parallel N]
    [--max-output-memory MIB] [--keep-runs N] [--keep-days D] [--quiet]
    [--trace-endpoint URL] [--trace-items N] [--plugins DIR]
    [--inventory FILE] [--known-hosts FILE]... [--accept-new-host-keys]
run PLAYBOOK --list`,
		help: `Validate a playbook, authorize every step for the caller's roles, then run it.
Nothing runs unless the whole playbook validates and every step is allowed;
--dry-run executes only read operations, goes on despite denials, marks each
step allowed or denied and exits 3 if any would be denied. On a terminal the run
shows live progress; otherwise it logs plain lines (JSON lines with --log-format
json). The end of every run prints a summary; the JSON report goes to --report
(and under --state-dir), written atomically even when the run fails or is
cancelled. Every report path is checked before the run starts: it must be a
regular file or a new one, not a file the run reads, in a directory that can be
created and written. SIGINT, SIGTERM or SIGHUP cancels the run: running steps
are cancelled, finally runs, the report is written. A second signal within a
second is the same request; one after that exits at once, writing a cancelled
report if it can within 500ms, then its summary and how to run it again.

--list prints the steps with their needs and conditions and runs nothing.
--from STEP runs STEP and every step that depends on it; --only STEP runs
just the steps named. The steps they leave out do not run: with --resume
their state and outputs come from that run; a selected step that reads a
left-out step whose output is not known there is refused before anything
runs. A playbook with concurrency: waits for (or skips, or replaces) the
runs of its group, in this process and in others sharing the state dir.
--inventory names the hosts ssh.* steps reach and inventory.hosts() reads;
host keys are checked against ~/.ssh/known_hosts, or --known-hosts (see
docs/remote.md). Inside GitHub Actions (GITHUB_ACTIONS=true), each step that
failed or was denied is also written on stdout as an ::error annotation at its
line of the playbook.`,
		exits: "0 succeeded; 1 the run failed (also a declined confirm:), or a report could not be written; 2 usage or validation error, bad inputs, a report path that fails its checks, or a --from/--only selection that cannot run; 3 a step was denied (or would be, with --dry-run); 129 SIGHUP; 130 SIGINT; 143 SIGTERM.",
		run:   runRun,
	}
}

// runOptions are the flags of `arsenal-run run`.
type runOptions struct {
	inputs     multiFlag
	inputsFile string
	roles      listFlag
	rolesFrom  string // "$ARSENAL_ROLES" when the roles came from there
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
	state      stateFlags
	spec       store.Spec
	auditLog   string
	logFormat  string
	logLevel   string
	parallel   int
	keepRuns   int
	keepDays   int
	quiet      bool
	list       bool
	from       string
	only       listFlag
	baseURL    string
	trace      traceFlags
	remote     *remoteFlags
}

// runArgs reads and checks the flags of `run`, then runs the playbook.
func runArgs(e *env, args []string, gh *ghNotes) int {
	outlivePipes()
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
	fs.StringVar(&o.resume, "resume", "", "rerun the failed run of `REPORT` (a report file, or a run id with a state dir), reusing the steps that succeeded")
	fs.BoolVar(&o.force, "force", false, "with --resume: resume although the playbook changed, if the reused steps did not")
	o.state.add(fs, "record history and reports under `DIR` (default $ARSENAL_STATE_DIR)")
	fs.StringVar(&o.auditLog, "audit-log", "", "append one JSON line per executed or denied step to `FILE`")
	fs.StringVar(&o.logFormat, "log-format", "console", "log lines in `FORMAT`: console or json")
	fs.StringVar(&o.logLevel, "log-level", "", "log at `LEVEL`: debug, info, warn or error (default info; error with the live view)")
	fs.IntVar(&o.parallel, "max-parallel", engine.DefaultMaxParallel, "run at most `N` steps at once")
	e.addOutputMemoryFlag(fs.FlagSet)
	addRetentionFlags(fs, &o.keepRuns, &o.keepDays, "with a state dir: ")
	fs.BoolVar(&o.quiet, "quiet", false, "on a terminal: show one status line, without the steps' output")
	fs.BoolVar(&o.list, "list", false, "print the steps with their needs and conditions, and run nothing")
	fs.StringVar(&o.from, "from", "", "run `STEP` and the steps that depend on it; the others' outputs come from --resume")
	fs.Var(&o.only, "only", "run just `STEP` (repeatable, or a comma list); the others' outputs come from --resume")
	fs.StringVar(&o.baseURL, "base-url", "", "the `URL` runs are found under, for run.url and notifications' links ({run_id} is replaced, else /runs/ID is added)")
	o.trace.add(fs.FlagSet)
	e.addPluginsFlag(fs.FlagSet)
	o.remote = addRemoteFlags(fs)
	jsonUsage(e, fs, &o.logFormat)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if what := playbookCountProblem(args, pos); what != "" {
		return fs.usageError("%s", what)
	}
	if code, ok := checkLogFlags(fs, &o.logFormat, &o.logLevel); !ok {
		return code
	}
	e.logJSON = o.logFormat == "json"
	if o.parallel < 1 {
		return fs.usageError("--max-parallel must be at least 1, not %d", o.parallel)
	}
	if p := retentionProblem(o.keepRuns, o.keepDays); p != "" {
		return fs.usageError("%s", p)
	}
	if p := o.trace.problem(); p != "" {
		return fs.usageError("%s", p)
	}
	if fs.given("from") && strings.TrimSpace(o.from) == "" {
		// An empty variable in --from "$STEP" would otherwise run the
		// whole playbook instead of part of it.
		return fs.usageError("--from is empty; give the id of a step of steps: (run --list shows them), or leave the flag out to run every step")
	}
	if o.from != "" && len(o.only) > 0 {
		return fs.usageError("give --from or --only, not both")
	}
	if o.list && (o.from != "" || len(o.only) > 0) {
		// Listed anyway, the selection would go unchecked and seem to
		// be what the list shows.
		sel := "--from " + o.from
		if o.from == "" {
			sel = "--only " + o.only.String()
		}
		return fs.usageError("--list lists every step and runs nothing, so %s does not go with it; to see what %s would run, give --dry-run instead of --list", sel, sel)
	}
	if o.list && o.resume != "" {
		// As with --from: listed anyway, the resume would seem to be
		// what the list shows.
		return fs.usageError("--list lists every step and runs nothing, so --resume does not go with it; to see what the resume would run, give --dry-run instead of --list")
	}
	for _, name := range []string{"report", "junit", "markdown", "html"} {
		if o.list && fs.given(name) {
			// The file asked for would silently not be written.
			return fs.usageError("--list prints the steps and runs nothing, so --%s would write no file; drop --list to run the playbook and write it, or drop --%s", name, name)
		}
	}
	if o.force && o.resume == "" {
		return fs.usageError("--force goes with --resume REPORT: it lets a run resume although the playbook changed")
	}
	for _, name := range []string{"report", "junit", "markdown", "html", "audit-log", "inputs", "policy", "resume"} {
		if fs.given(name) && fs.Lookup(name).Value.String() == "" {
			return fs.usageError("--%s is empty; give the path of a file, or leave the flag out", name)
		}
	}
	if flag, ok := formatFlags[strings.ToLower(filepath.Ext(o.reportPath))]; ok {
		// The format goes by flag, not by the file's name: a .html that
		// holds JSON opens as raw text, and a CI server reading .xml as
		// JUnit refuses it.
		return fs.usageError("--report writes the JSON report, not %s: give %s %s for that (beside --report FILE.json for the JSON)", filepath.Ext(o.reportPath), flag, o.reportPath)
	}
	if code, bad := checkBaseURL(fs, o.baseURL); bad {
		return code
	}
	spec, ok := o.state.spec(fs, false)
	if !ok {
		return ExitUsage
	}
	o.spec, o.stateDir = spec, spec.Dir
	if spec.Dir == "" && !spec.Postgres() {
		// Without a history there is nothing to prune: the flag would
		// be ignored.
		for _, name := range []string{"keep-runs", "keep-days"} {
			if f := fs.Lookup(name); fs.given(name) && f.Value.String() != "0" {
				return fs.usageError("--%s prunes the run history, which needs --state-dir DIR (or $ARSENAL_STATE_DIR, or --state URL); give one, or drop --%s", name, name)
			}
		}
	}
	from, err := envRoles(e, &o.roles)
	if err != nil {
		return fs.usageError("%v", err)
	}
	o.rolesFrom = from
	if len(o.roles) == 0 {
		o.roles = listFlag{auth.DefaultRole}
	}
	gh.setPlaybook(pos[0])
	r := &runner{e: e, o: o, c: c, path: pos[0], gh: gh}
	return r.run()
}

// formatFlags are the flags of the formats that a --report file named
// with their extension was most likely meant for.
var formatFlags = map[string]string{".html": "--html", ".htm": "--html", ".xml": "--junit", ".md": "--markdown", ".markdown": "--markdown"}
