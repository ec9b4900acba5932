package cli

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
)

// maxNext bounds --next.
const maxNext = 1000

func scheduleCommand() *command {
	return &command{
		name:    "schedule",
		summary: "run playbooks on their cron schedules; --next previews fire times",
		synopsis: `schedule PLAYBOOK|DIR... --next N [--from TIME]
schedule PLAYBOOK|DIR... [--state-dir DIR | --state URL [--report-dir DIR]] [--role R]... [--policy FILE]
    [--listen ADDR] [--grace D] [--max-concurrent-runs N] [--max-output-memory MIB] [--audit-log FILE] [--base-url URL] [--log-format console|json]
    [--log-level LEVEL] [--keep-runs N] [--keep-days D] [--trace-endpoint URL] [--trace-items N]
    [--plugins DIR] [--inventory FILE] [--known-hosts FILE]... [--accept-new-host-keys]`,
		help: `Run every given playbook that has a schedule: block, on its schedule, until
SIGTERM or SIGINT. A directory stands for the *.yaml and *.yml files in it that
have a schedule: block (a hidden file, and an inventory, policy or keys file
there, are left out, as validate leaves them out). Everything is checked first,
as the runs will be: the playbooks, the policy, the roles, the preflight of
every step for those roles, and that each input has a default, its env:
variable set (by the environment or an env_file) or its from_file there
(scheduled runs are given no inputs). Any problem is printed as
file:line:column: message and nothing is scheduled.

Each run goes through the run service, as with 'run': report under the state
dir, history (trigger schedule, with its slot), audit log. Each slot fires at
most once, across restarts; only one schedule process may use a state dir.
SIGHUP re-reads and re-checks every playbook and the policy and swaps them all
at once, or keeps the running set and reports the problems (log, /healthz).
SIGTERM or SIGINT stops firing, waits up to --grace for the running runs, then
cancels them (their finally steps run, their reports are written) and exits 0.
--listen serves GET /healthz and GET /metrics.

--next N prints, for each playbook, its next N fire times (the slots, before
jitter) in RFC 3339, in the playbook's time zone and in UTC, and exits. It
needs no state dir. --from TIME lists them from TIME on (a slot at TIME
included) rather than from now, to check a daylight-saving change or a month
end before it comes: an RFC 3339 time, like 2027-03-14T01:00:00-05:00, or a
date, like 2027-03-14, meaning midnight in each playbook's time zone. See
docs/scheduling.md for how scheduling behaves.`,
		exits: "0 --next printed, or stopped by SIGTERM/SIGINT; 1 an internal error; 2 a playbook or the policy does not validate, bad usage, another scheduler holds the state dir, or --listen cannot listen; 3 a step is denied for the roles; 143/130 stopped by SIGTERM/SIGINT while it waited for another process opening the state dir, before anything was scheduled.",
		run:   runSchedule,
	}
}

func runSchedule(e *env, args []string) int {
	outlivePipes()
	c := scheduleCommand()
	fs := newFlags(e, c)
	next := fs.Int("next", 0, "print the next `N` fire times of each playbook and exit")
	fromText := fs.String("from", "", "with --next, list the fire times from `TIME` on, not from now: RFC 3339 (2027-03-14T01:00:00-05:00) or a date (2027-03-14, midnight in each playbook's time zone)")
	e.addPluginsFlag(fs.FlagSet)
	var o scheduleOptions
	o.state.add(fs, "keep the history, reports and the record of fired slots in `DIR` (default $ARSENAL_STATE_DIR, else $XDG_STATE_HOME/arsenal-run, else ~/.local/state/arsenal-run, else ./arsenal-run-state without a home directory)")
	var roles listFlag
	fs.Var(&roles, "role", "run the playbooks with role `R` (repeatable; default $ARSENAL_ROLES, else operator)")
	fs.StringVar(&o.policy, "policy", "", "authorize with the policy `FILE` instead of the built-in one")
	fs.StringVar(&o.listen, "listen", "", "serve /healthz and /metrics on `ADDR` (a bare port means loopback)")
	fs.DurationVar(&o.grace, "grace", scheduler.DefaultGrace, "on SIGTERM, wait `D` for running runs before cancelling them")
	fs.IntVar(&o.maxRuns, "max-concurrent-runs", scheduler.DefaultMaxConcurrentRuns, "run at most `N` runs at once, all playbooks together (more wait their turn); also the most runs of one playbook under overlap: allow")
	e.addOutputMemoryFlag(fs.FlagSet)
	fs.StringVar(&o.baseURL, "base-url", "", "the `URL` runs are found under, for run.url and notifications' links ({run_id} is replaced, else /runs/ID is added)")
	fs.StringVar(&o.auditLog, "audit-log", "", "append one JSON line per executed or denied step to `FILE`")
	logFormat := fs.String("log-format", "console", "log lines in `FORMAT`: console or json")
	logLevel := fs.String("log-level", "info", "log at `LEVEL`: debug, info, warn or error")
	addRetentionFlags(fs, &o.keepRuns, &o.keepDays, "")
	o.trace.add(fs.FlagSet)
	o.remote = addRemoteFlags(fs)
	jsonUsage(e, fs, logFormat)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	// First: the format the other problems are written in.
	if code, ok := checkLogFlags(fs, logFormat, logLevel); !ok {
		return code
	}
	e.logJSON = *logFormat == "json"
	if code, bad := checkBaseURL(fs, o.baseURL); bad {
		return code
	}
	if len(pos) == 0 {
		return fs.usageError("give at least one playbook or directory, like 'schedule playbooks/ --next 5'")
	}
	nextSet := fs.given("next")
	if nextSet && (*next < 1 || *next > maxNext) {
		return fs.usageError("--next must be between 1 and %d", maxNext)
	}
	from := previewFrom{now: time.Now()}
	if fromSet := fs.given("from"); fromSet && !nextSet {
		return fs.usageError("--from sets where the --next preview starts; give --next N as well, like 'schedule %s --next 5 --from 2027-03-14'", pos[0])
	} else if fromSet {
		f, err := parseFrom(*fromText)
		if err != nil {
			return fs.usageError("%v", err)
		}
		f.now = from.now
		from = f
	}
	if !nextSet {
		if code, ok := scheduleFlags(e, fs, &o, roles, *logFormat, *logLevel); !ok {
			return code
		}
	}
	o.paths = pos
	e.daemon = !nextSet
	if !nextSet {
		protectPlaybooks(pos...)
	}
	var reg *ops.Registry
	if nextSet {
		reg, code = e.registry()
	} else {
		// The supervisor of the processes the runs start: its restarts
		// are logged, and what it leaves running said at the end.
		stderr := &lockedWriter{w: e.stderr}
		e.stderr = stderr
		log := newScheduleLogger(stderr, o.logJSON, o.logColored, o.logLevel)
		defer watchSafe(log)()
		supLog := log.With().Str("component", "supervisor").Logger()
		sup := proc.NewSupervisor(proc.Options{Log: &supLog})
		defer func() {
			leaveProcesses(log, sup, "schedule")
			sup.Close()
		}()
		reg, code = e.daemonRegistry(sup)
	}
	if code != ExitOK {
		return code
	}
	defer reg.Close()
	if nextSet {
		set := &scheduleSet{}
		set.pbs, _ = loadScheduledSet(set, reg, pos)
		if !reportSet(e, set, "no fire times were listed") {
			return ExitUsage
		}
		var b strings.Builder
		if err := writeNextFires(&b, set.pbs, from, *next); err != nil {
			e.cmdErrorf("schedule", "%v", err)
			return ExitUsage
		}
		// A failed write is Main's to report (a closed pipe quietly).
		io.WriteString(e.stdout, b.String())
		return ExitOK
	}
	// The inventory first: the preflight judges a literal ssh.* host by
	// its groups and tags there, as each run will.
	settings, ok := o.remote.settings(e)
	if !ok {
		return ExitUsage
	}
	o.remoteSettings = settings
	set := checkSchedule(reg, pos, o.policy, o.roles, o.rolesFrom, os.LookupEnv, settings.Inventory)
	if !reportSet(e, set, "nothing was scheduled") {
		if set.denied > 0 && set.denied == len(set.problems) {
			return ExitDenied
		}
		return ExitUsage
	}
	return runDaemon(e, o, reg, set)
}

// scheduleFlags checks the flags of running the schedules and fills in
// their defaults.
func scheduleFlags(e *env, fs *flagSet, o *scheduleOptions, roles listFlag, logFormat, logLevel string) (int, bool) {
	switch {
	case o.grace <= 0:
		return fs.usageError("--grace must be more than 0, like 20s, not %s", short.Duration(o.grace)), false
	case o.maxRuns < 1:
		return fs.usageError("--max-concurrent-runs must be at least 1, not %d", o.maxRuns), false
	case retentionProblem(o.keepRuns, o.keepDays) != "":
		return fs.usageError("%s", retentionProblem(o.keepRuns, o.keepDays)), false
	case o.trace.problem() != "":
		return fs.usageError("%s", o.trace.problem()), false
	}
	o.logJSON = logFormat == "json"
	o.logLevel, _ = zerolog.ParseLevel(logLevel)
	o.logColored = !o.logJSON && e.paletteFor(e.stderr).on
	if o.listen != "" {
		addr, err := listenAddr(o.listen)
		if err != nil {
			return fs.usageError("--listen %s: %v", o.listen, err), false
		}
		o.listen = addr
	}
	spec, ok := o.state.spec(fs, true)
	if !ok {
		return ExitUsage, false
	}
	o.spec, o.stateDir = spec, spec.Dir
	from, err := envRoles(e, &roles)
	if err != nil {
		return fs.usageError("%v", err), false
	}
	o.rolesFrom = from
	if len(roles) == 0 {
		roles = listFlag{auth.DefaultRole}
	}
	o.roles = roles
	return 0, true
}

// reportSet prints the warnings and problems of a checked set and says
// whether it may be scheduled; outcome says what was not done when not.
func reportSet(e *env, set *scheduleSet, outcome string) bool {
	for _, w := range set.warnings {
		e.warningLine(w)
	}
	if len(set.problems) == 0 {
		return true
	}
	for _, p := range set.problems {
		e.problemLine(p)
	}
	e.problemLine(outcome + "; fix the problems above")
	return false
}

// protectPlaybooks keeps the playbooks a daemon loads, files or
// directories, from every file operation: a role whose file roots held
// them could otherwise plant or rewrite a playbook that the next reload
// schedules with the daemon's roles, or that a caller with more rights
// runs by name.
func protectPlaybooks(paths ...string) {
	for _, p := range paths {
		what := "playbooks dir"
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			what = "scheduled playbook"
		}
		fsroot.ProtectPlaybooks(p, what)
	}
}
