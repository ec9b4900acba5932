package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sshops "github.com/arsenal-run/arsenal-run/pkg/ops/remote"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// scheduleOptions are the flags of `schedule` when it runs the schedules.
type scheduleOptions struct {
	paths      []string
	stateDir   string
	baseURL    string
	state      stateFlags
	spec       store.Spec
	roles      []string
	rolesFrom  string // "$ARSENAL_ROLES" when the roles came from there
	policy     string
	listen     string
	grace      time.Duration
	maxRuns    int
	auditLog   string
	logJSON    bool
	logLevel   zerolog.Level
	keepRuns   int
	keepDays   int
	remote     *remoteFlags // --inventory, --known-hosts, --accept-new-host-keys
	trace      traceFlags
	logColored bool

	// remoteSettings are remote's, loaded once at start: the runs'
	// inventory, which the checks at start and on reload judge hosts by.
	remoteSettings sshops.Settings
}

// maxManagerQueue bounds the runs waiting for a place under
// --max-concurrent-runs. The scheduler bounds them itself (a playbook
// whose run waits has a run going, so its overlap policy decides its next
// slot), so this is only a backstop.
const maxManagerQueue = 1 << 20

// daemon is one `schedule` process running the schedules.
type schedDaemon struct {
	e        *env
	o        scheduleOptions
	reg      *ops.Registry
	log      zerolog.Logger
	launcher *scheduler.RunLauncher
	sched    *scheduler.Scheduler
	policy   *auth.Policy   // the policy of the loaded set; nil: built in
	audit    *auth.AuditLog // reopened on SIGHUP, for log rotation; nil without one

	reloadMu sync.Mutex // one reload at a time
}

// runDaemon runs the schedules of set until SIGTERM or SIGINT, and
// returns the exit code. set was checked and has no problems.
func runDaemon(e *env, o scheduleOptions, reg *ops.Registry, set *scheduleSet) int {
	stderr := &lockedWriter{w: e.stderr}
	e.stderr = stderr
	d := &schedDaemon{e: e, o: o, reg: reg, log: newScheduleLogger(stderr, o.logJSON, o.logColored, o.logLevel)}
	// Signals are caught from here on, so that a reload or a stop asked
	// for while the scheduler starts waits for it instead of killing it
	// (SIGHUP's default): they are taken in once it runs.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)

	// --listen is checked first, so that a busy port touches nothing:
	// no state dir opened, no runs of earlier processes marked.
	var ln net.Listener
	if o.listen != "" {
		var err error
		if ln, err = net.Listen("tcp", o.listen); err != nil {
			e.cmdErrorf("schedule", "%s; nothing was scheduled", listenError(o.listen, err))
			return ExitUsage
		}
		defer func() {
			if ln != nil { // not handed to the server
				ln.Close()
			}
		}()
	}

	if o.stateDir != "" {
		// Before its lock file is opened: see makeTrustedStateDir.
		if err := makeTrustedStateDir(o.stateDir); err != nil {
			e.cmdErrorf("schedule", "--state-dir: %v; nothing was scheduled", err)
			return ExitUsage
		}
	}
	// Ctrl-C or SIGTERM ends the start-up's waits (a database that does
	// not answer, its migration, the state dir's lock) at once, with a
	// word rather than a wait that nothing ends.
	openCtx, openDone := startSignals()
	defer openDone()
	// Its wait for a database that does not answer is said in the log,
	// naming the database, as the other waits of the start-up are.
	unlock, held, err := lockSchedule(postgres.WithNotice(openCtx, func(msg string) { d.log.Warn().Msgf("%s: %s", o.spec, msg) }), o.spec)
	if err != nil {
		if openCtx.Err() != nil {
			e.cmdErrorf("schedule", "stopped at start: %s; nothing was scheduled", o.state.errorText(o.spec, err))
			return startCode(openCtx)
		}
		e.cmdErrorf("schedule", "%s; nothing was scheduled", o.state.errorText(o.spec, err))
		return ExitUsage
	}
	defer unlock()
	if held != nil {
		// A database's lock goes with its connection (a restart of the
		// database): it is watched, and taken again, from now on.
		defer held.keep(d.log)()
	}

	var audit *auth.AuditLog
	if o.auditLog != "" {
		reads := []namedFile{{"the policy", o.policy}}
		for _, pb := range set.pbs {
			reads = append(reads, namedFile{"a scheduled playbook", pb.File})
		}
		if o.remote != nil {
			reads = append(reads, namedFile{"the inventory", o.remote.inventory})
			for _, f := range o.remote.knownHosts {
				reads = append(reads, namedFile{"a --known-hosts file", f})
			}
		}
		if msg := auditLogProblem(o.auditLog, reads, nil, o.stateDir); msg != "" {
			e.cmdErrorf("schedule", "%s; nothing was scheduled", msg)
			return ExitUsage
		}
		if audit, err = auth.OpenAudit(o.auditLog); err != nil {
			e.cmdErrorf("schedule", "%v; nothing was scheduled", auditOpenError(err, o.auditLog))
			return ExitUsage
		}
		defer audit.Close()
		d.audit = audit
	}
	warn := func(format string, args ...any) { d.log.Warn().Msgf(format, args...) }
	remoteSettings := o.remoteSettings
	tp, problem, ok := o.trace.provider(e, warn)
	if !ok {
		e.cmdErrorf("schedule", "%s; nothing was scheduled", problem)
		return ExitUsage
	}
	defer tp.Shutdown(context.Background())
	shared, err := openShared(openCtx, o.spec, warn)
	var svc *runs.Service
	if err == nil {
		svc, err = runs.NewServiceContext(openCtx, runs.Config{Registry: reg, Policy: set.policy, StateDir: o.stateDir, Store: shared, Audit: audit,
			KeepRuns: o.keepRuns, KeepDays: o.keepDays, Warn: warn, WarnRun: d.warnRun, Remote: remoteSettings, Telemetry: tp, RefuseSwappable: true, BaseURL: o.baseURL,
			ConfirmHints: map[runs.Trigger]string{runs.TriggerSchedule: scheduledConfirmHint},
			InputHints:   map[runs.Trigger]engine.InputHint{runs.TriggerSchedule: scheduledInputHint}})
	}
	openDone()
	if err != nil {
		if errors.Is(err, context.Canceled) || openCtx.Err() != nil {
			e.cmdErrorf("schedule", "stopped at start: %s; nothing was scheduled", o.state.errorText(o.spec, err))
			return startCode(openCtx)
		}
		e.cmdErrorf("schedule", "%s; nothing was scheduled", o.state.errorText(o.spec, err))
		return ExitUsage
	}
	defer svc.Close()
	logInterrupted(d.log, svc, o.spec)
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: o.maxRuns, MaxQueued: maxManagerQueue})
	defer mgr.Shutdown(context.Background()) // every run has ended when the scheduler has

	d.policy = set.policy
	if msg := rootWorkdir("schedule", set.policy, o.roles, o.policy); msg != "" {
		d.log.Warn().Msg(msg)
	}
	d.launcher = scheduler.NewRunLauncher(mgr, o.roles, set.policy)
	d.sched, err = scheduler.New(scheduler.Config{
		Launcher: d.launcher, Store: held.fence(svc.History()), Logger: &d.log,
		Grace: o.grace, MaxConcurrentRuns: o.maxRuns, LimitFrom: "--max-concurrent-runs",
	})
	if err != nil {
		e.cmdErrorf("schedule", "%v", err)
		return ExitFailed
	}
	stepMetrics, err := scheduler.NewStepMetrics(d.sched.Registry())
	if err != nil {
		e.cmdErrorf("schedule", "%v", err)
		return ExitFailed
	}
	// The process's own series too, as serve's /metrics has them:
	// process_start_time_seconds tells a restart, memory and descriptors
	// a leak.
	for _, c := range []prometheus.Collector{telemetry.ResourceCollector(svc.History()),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := d.sched.Registry().Register(c); err != nil {
			e.cmdErrorf("schedule", "%v", err)
			return ExitFailed
		}
	}
	follow := &runFollower{log: d.log, steps: stepMetrics}
	fence := newRunFence(shared, logStopping(d.log))
	d.launcher.Watch = func(job scheduler.Job, h *runs.Handle) <-chan struct{} {
		fence.watch(job.Playbook, h)
		return follow.watch(job, h)
	}

	var srv *http.Server
	var served chan error
	if ln != nil {
		srv = &http.Server{Handler: d.sched.Handler(), ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
		served = make(chan error, 1)
		l := ln
		ln = nil
		go func() { served <- srv.Serve(l) }()
		d.log.Info().Str("addr", l.Addr().String()).Msg("serving /healthz and /metrics")
		if w := listenWarning(l.Addr()); w != "" {
			d.log.Warn().Str("addr", l.Addr().String()).Msg(w)
		}
	}

	if err := d.sched.Load(set.pbs); err != nil {
		e.cmdErrorf("schedule", "%v; nothing was scheduled", err)
		stopServer(srv, served)
		return ExitFailed
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopSignals := d.signals(sigs, cancel)
	d.log.Info().Int("pid", os.Getpid()).Int("playbooks", len(set.pbs)).Str("state", o.spec.String()).
		Strs("roles", o.roles).Msg("scheduler started; SIGHUP reloads, SIGTERM stops")
	runErr := d.sched.Run(ctx)
	stopSignals()
	cancel()
	follow.wait()
	fence.wait()
	stopServer(srv, served)
	if runErr != nil {
		e.cmdErrorf("schedule", "%v", runErr)
		return ExitFailed
	}
	return ExitOK
}

// stopServer closes the health server: it answered 503 while the runs
// were given their grace, and now there is nothing left to report.
func stopServer(srv *http.Server, served chan error) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	<-served
}

// signals handles the signals arriving on ch: SIGHUP reloads, SIGTERM or
// SIGINT stops (stop is called once; a further one is only logged, the
// shutdown under way already bounds the runs by --grace). The returned
// function stops the handling and waits for it.
func (d *schedDaemon) signals(ch chan os.Signal, stop context.CancelFunc) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		stopping := false
		var stopAt time.Time
		for {
			select {
			case s := <-ch:
				switch {
				case s == syscall.SIGHUP && stopping:
					d.log.Warn().Msg("SIGHUP while stopping: not reloading")
				case s == syscall.SIGHUP:
					d.reload()
				case stopping && time.Since(stopAt) >= d.o.grace:
					d.log.Warn().Str("signal", signalName(s)).Msg(handlersMsg(s, "schedule"))
				case stopping:
					d.log.Warn().Str("signal", signalName(s)).Msg(graceLeftMsg(s, d.o.grace, time.Since(stopAt)))
				default:
					stopping, stopAt = true, time.Now()
					// The scheduler writes the stop's one line, with
					// the signal and the runs it waits for.
					d.sched.SetStopCause(signalName(s))
					stop()
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// reload re-reads and re-checks every playbook and the policy, and swaps
// the set at once, or not at all: with any problem, the set running stays,
// and the problems go to the log and to /healthz.
func (d *schedDaemon) reload() {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.log.Info().Msg("SIGHUP: reloading the playbooks")
	if d.audit != nil {
		// A rotated audit log (renamed away) is written anew at its path.
		if err := d.audit.Reopen(); err != nil {
			d.log.Warn().Err(err).Msg("SIGHUP: the audit log was not reopened")
		}
	}
	if msg := d.e.pluginsChanged(); msg != "" {
		d.log.Warn().Msg("SIGHUP: " + msg)
	}
	if msg := d.o.remote.inventoryChanged(); msg != "" {
		d.log.Warn().Msg("SIGHUP: " + msg)
	}
	set := checkSchedule(d.reg, d.o.paths, d.o.policy, d.o.roles, d.o.rolesFrom, os.LookupEnv, d.o.remoteSettings.Inventory)
	for _, w := range set.warnings {
		d.log.Warn().Msg(w)
	}
	if err := set.err(); err != nil {
		logReloadProblems(d.log, d.o.logJSON, set.problems)
		if len(set.noneIn) > 0 {
			err = fmt.Errorf("%w\n%s", err, keptFiring(d.sched.Health().Playbooks, set.noneIn))
		}
		d.sched.ReloadFailed(err) // it says the playbooks loaded before stay
		return
	}
	if err := d.sched.Load(set.pbs); err != nil {
		// Load kept the old set (and logged why): it keeps the policy
		// it was checked against, which was never swapped out.
		return
	}
	// Only now: no run of the old set is launched under a policy that a
	// failed Load leaves unchecked against it.
	d.launcher.SetPolicy(set.policy)
	d.policy = set.policy
	// Said again while it holds, under the policy now in force, as at
	// start: a reload is when a role without file_roots comes in, or a
	// fix is checked.
	if msg := rootWorkdir("schedule", set.policy, d.o.roles, d.o.policy); msg != "" {
		d.log.Warn().Msg("SIGHUP: " + msg)
	}
}

// listenWarning is what to tell of a --listen address other hosts can
// reach: schedule has no keys, and its /healthz names the playbooks'
// files, run ids and the reload and store errors (file paths, the
// store's own words). "" on loopback.
func listenWarning(addr net.Addr) string {
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		return ""
	}
	return "/healthz and /metrics need no key, and /healthz names the playbooks' files and the reload " +
		"and store errors: whoever reaches this address reads them; listen on loopback (a bare port " +
		"such as 9464) or put a proxy that authenticates or a firewall in front"
}

// keptFiring says, after a reload refused because a directory lost its
// last scheduled playbook, that the playbooks loaded before still fire,
// from the text they had then, and how to change that: a reload is all or
// nothing, and a scheduler with nothing to schedule is not started.
func keptFiring(loaded []scheduler.PlaybookHealth, dirs []string) string {
	names := make([]string, 0, len(loaded))
	for _, pb := range loaded {
		names = append(names, fmt.Sprintf("%s (%s)", pb.Name, pb.Path))
	}
	return fmt.Sprintf("the playbooks loaded before keep firing as they were read then, deleted or not: %s; "+
		"to go on, put a playbook with a schedule: block back in %s and send SIGHUP again, "+
		"or, to fire none of them, stop the scheduler (SIGTERM)",
		strings.Join(names, ", "), strings.Join(dirs, ", "))
}

// listenAddr turns --listen into an address: a bare port (9464 or :9464)
// means loopback only.
func listenAddr(s string) (string, error) {
	port := strings.TrimPrefix(s, ":")
	if n, err := strconv.Atoi(port); err == nil {
		if n < 0 || n > 65535 {
			return "", fmt.Errorf("port %d is out of range: give a port from 0 to 65535, like 8080", n)
		}
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", errors.New("give HOST:PORT, or a bare port such as 9464 for loopback")
	}
	if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 0 to 65535", p)
	}
	// Digits and dots are meant as an IPv4 address: 256.1.1.1 is a typo,
	// not a host name for DNS to say "no such host" about.
	if strings.Contains(host, ".") && strings.Trim(host, "0123456789.") == "" && net.ParseIP(host) == nil {
		return "", fmt.Errorf("%s is not an IPv4 address (four numbers from 0 to 255): give one of this host's addresses, 0.0.0.0 for every interface, or a bare port for loopback", host)
	}
	return net.JoinHostPort(host, p), nil
}

// warnRun logs a problem of one run (its history rows, its report) with
// its run_id, as the run's own lines carry it.
func (d *schedDaemon) warnRun(runID, format string, args ...any) {
	d.log.Warn().Str("run_id", runID).Msgf(format, args...)
}
