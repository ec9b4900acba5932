package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/console"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// Scheduler runs the scheduled playbooks of serve --playbooks beside the
// API, through the same run manager, so that one daemon does both. The
// scheduler package provides it; serve finds it through env.newScheduler.
type Scheduler interface {
	// Run fires the schedules until ctx ends, then returns; runs it
	// started belong to the manager.
	Run(ctx context.Context) error
	// Reload replaces the scheduled playbooks, after SIGHUP.
	Reload(pbs []*steps.Playbook) error
}

// NewScheduler builds the scheduler of serve for the scheduled playbooks,
// recording fired slots in the state spec names (the service's store),
// whose runs have roles (serve's --schedule-role), at most allow runs of
// one playbook at once under overlap: allow (--max-concurrent-runs); on
// shutdown it waits up to grace for the runs it started, then cancels
// them. It returns a *scheduler.HeldError when another process holds the
// state's scheduler lock.
type NewScheduler func(mgr *runs.Manager, pbs []*steps.Playbook, spec store.Spec, roles []string, grace time.Duration, allow int, warn func(string, ...any)) (Scheduler, error)

// daemon is one serve process from start-up to exit.
type daemon struct {
	e     *env
	o     serveOptions
	level zerolog.Level // of the runs' lines
	// log takes the server's own lines, at info and above (debug with
	// --log-level debug); runLog takes the runs' lines, which the engine
	// writes as JSON, in the same format.
	log    zerolog.Logger
	runLog io.Writer
	reg    *ops.Registry
	sup    *proc.Supervisor
	// With a shared store: the run queue, the store, and the
	// configuration its runs read.
	q  *queue.Queue
	pg *postgres.Store
	rs replicaState
	// tls, with --tls-cert, is reread on SIGHUP.
	tls *server.TLSFiles
	// inv is the runs' inventory (nil without --inventory), read once at
	// start.
	inv *inventory.Inventory
}

func (d *daemon) run() int {
	e, o := d.e, d.o
	// A SIGHUP (systemctl reload) during start-up, which may wait on a
	// PostgreSQL store that does not answer, is taken in once serve runs,
	// rather than killing it (its default); SIGTERM and SIGINT still end
	// a start-up at once.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP)
	defer signal.Stop(sigs)
	setServeGC(e.getenv, e.outputMemory())
	supLog := d.log.With().Str("component", "supervisor").Logger()
	d.sup = proc.NewSupervisor(proc.Options{Log: &supLog})
	defer func() {
		leaveProcesses(d.log, d.sup, "serve")
		d.sup.Close()
	}()
	reg, err := newRegistry(builtin.Options{Supervisor: d.sup, OutputMemory: e.outputMemory()})
	if err != nil {
		e.errorf("cannot set up the operations: %v", err)
		return ExitFailed
	}
	d.reg = reg
	defer reg.Close()
	// Plugins are loaded once: a SIGHUP rereads keys, policy and
	// playbooks, not the plugin manifests.
	e.daemon = true
	if code := e.loadPlugins(reg); code != ExitOK {
		return code
	}
	// The inventory first: the check of the scheduled playbooks judges
	// a literal ssh.* host by its groups and tags there, as each run will.
	o.remote.inventory = o.inventory
	remoteSettings, ok := o.remote.settings(e)
	if !ok {
		return ExitUsage
	}
	d.inv = remoteSettings.Inventory
	st, denied, ok := d.load(e.problem)
	for _, msg := range denied {
		e.problemLine(msg + " (" + d.schedRolesHint() + ")")
	}
	switch {
	case !ok:
		e.errorf("the configuration has problems; nothing was served")
		return ExitUsage
	case len(denied) > 0:
		e.errorf("the policy denies steps of scheduled playbooks; nothing was served")
		return ExitDenied
	}
	d.warnAtStart(st)
	d.warnAimed(st.Playbooks.All())
	var nodes []any
	if o.inventory != "" {
		if nodes, err = inventoryNodes(o.inventory); err != nil {
			e.errorf("--inventory: %v", err)
			return ExitUsage
		}
	}
	if o.playbooks != "" {
		protectPlaybooks(o.playbooks)
	}
	var tlsConf *tls.Config
	if o.tlsCert != "" {
		// The files are protected paths: see TLSFiles.Reload.
		if d.tls, err = server.LoadTLS(o.tlsCert, o.tlsKey, o.clientCA); err != nil {
			e.errorf("%v", err)
			return ExitUsage
		}
		tlsConf = d.tls.Config()
		if msg := d.tls.Warning(time.Now(), keyExpiryNotice); msg != "" {
			d.warnf("%s", msg)
		}
	}
	auditPath := o.auditLog
	if o.stateDir != "" {
		// 0700, as history.Open makes a state dir: it holds the
		// reports and the audit log. One another user could change is
		// refused before anything in it is opened.
		if err := makeTrustedStateDir(o.stateDir); err != nil {
			e.errorf("--state-dir: %v; nothing was served", err)
			return ExitUsage
		}
		if auditPath == "" {
			auditPath = filepath.Join(o.stateDir, "audit.log")
		}
	}
	if o.auditLog != "" {
		reads := []namedFile{{"the keys file", o.keys}, {"the policy", o.policy}, {"the inventory", o.inventory}}
		for _, pb := range st.Playbooks.All() {
			reads = append(reads, namedFile{"a served playbook", pb.File})
		}
		for _, f := range o.remote.knownHosts {
			reads = append(reads, namedFile{"a --known-hosts file", f})
		}
		if msg := auditLogProblem(o.auditLog, reads, nil, o.stateDir); msg != "" {
			e.errorf("%s; nothing was served", msg)
			return ExitUsage
		}
	}
	audit, err := auth.OpenAudit(auditPath)
	if err != nil {
		if o.auditLog == "" {
			err = stateDirAccess(o.stateDir, err)
		} else {
			err = auditOpenError(err, o.auditLog)
		}
		e.errorf("%v", err)
		return ExitUsage
	}
	defer audit.Close()
	tp, problem, ok := o.trace.provider(e, d.warnf)
	if !ok {
		e.errorf("%s", problem)
		return ExitUsage
	}
	defer tp.Shutdown(context.Background())
	// Every run sees only the variables --env-passthrough names: those
	// of the API, the queue and the schedules alike.
	runEnv := o.runEnv()
	// Ctrl-C or SIGTERM ends the wait for a database that does not
	// answer, for its migration or for another process opening the state
	// dir (up to 30 s) at once, with a word rather than a silent end.
	openCtx, openDone := startSignals()
	defer openDone()
	shared, err := openShared(openCtx, o.spec, d.warnf)
	var svc *runs.Service
	if err == nil {
		svc, err = runs.NewServiceContext(openCtx, runs.Config{Registry: reg, Policy: st.Policy, StateDir: o.stateDir, Store: shared, Audit: audit,
			BaseURL: o.baseURL, Log: d.runLog, LogLevel: d.level, Warn: d.warnf, WarnRun: d.warnRunf, Remote: remoteSettings, Telemetry: tp, Env: runEnv,
			// Playbook runs, scheduled or through the API, prune as they
			// end, as under schedule; startRetention below covers executes.
			KeepRuns: o.keepRuns, KeepDays: o.keepDays,
			// Its runs have the callers' roles and --schedule-role.
			RefuseSwappable: true,
			// serve shows the history for as long as it runs: the runs of
			// another process on the state dir that died end there too.
			InterruptSweep: runs.InterruptSweep,
			// Queued runs (--state postgres://) are started by the
			// queue, not by the API handler: their hint comes from here.
			ConfirmHints: map[runs.Trigger]string{runs.TriggerAPI: server.ConfirmHint, runs.TriggerSchedule: scheduledConfirmHint},
			InputHints:   map[runs.Trigger]engine.InputHint{runs.TriggerAPI: server.APIInputHint, runs.TriggerSchedule: scheduledInputHint}})
	}
	openDone()
	if err != nil {
		if errors.Is(err, context.Canceled) || openCtx.Err() != nil {
			e.cmdErrorf("serve", "stopped at start: %s; nothing was served", o.state.errorText(o.spec, err))
			return startCode(openCtx)
		}
		e.errorf("%s", o.state.errorText(o.spec, err))
		return ExitUsage
	}
	defer svc.Close()
	logInterrupted(d.log, svc, o.spec)
	// Stopped before svc.Close (deferred above, so run after): a sweep
	// must not outlive the store.
	defer d.startRetention(svc.History())()
	queued := o.maxQueued
	if queued == 0 {
		queued = -1 // runs.Limits reads 0 as the default
	}
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: o.maxRunning, MaxQueued: queued})
	// Console sessions are signed with a key of the state dir, or, on a
	// PostgreSQL store, with the database's, where sign-outs are kept
	// too: every replica takes the sessions of the others.
	var sessions *server.Sessions
	if pg, ok := shared.(*postgres.Store); ok {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		sessions, err = server.OpenSharedSessions(sctx, pg, o.sessionTTL, nil)
		scancel()
	} else {
		sessions, err = server.OpenSessions(o.stateDir, o.sessionTTL, nil)
	}
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	var web http.Handler
	if !o.noConsole {
		web = console.Handler()
	}
	d.rs.st.Store(&st)
	sched := d.newSchedules(mgr)
	scfg := server.Config{
		Sessions: sessions, Console: web, Scheduling: sched.running,
		Manager: mgr, State: st, Nodes: nodes, Supervisors: d.sup.Groups,
		Env: runEnv, MaxQueued: queued,
		PublicMetrics: o.publicMetrics, TLS: tlsConf, SecureCookie: o.secureCookie, Proxies: o.proxies, Version: Version(), Log: logWriter{d.log, zerolog.WarnLevel},
		// A request that carries a traceparent continues that trace, and
		// the runs it starts are its children.
		Middleware: tp.Handler,
	}
	if pg, ok := shared.(*postgres.Store); ok {
		q, err := d.startQueue(pg, mgr, &d.rs, runEnv, &d.log)
		if err != nil {
			e.errorf("%s", o.state.errorText(o.spec, err))
			return ExitFailed
		}
		d.q, d.pg = q, pg
		scfg.Queue, scfg.Health, scfg.Collectors = q, joinHealth(joinHealth(storeHealth(q), historyHealth(svc)), sched.health), q.Collectors()
	} else {
		scfg.Health = joinHealth(historyHealth(svc), sched.health)
	}
	if h := svc.History(); h != nil {
		scfg.Collectors = append(scfg.Collectors, telemetry.ResourceCollector(h))
	}
	// The schedulers' series (arsenal_schedule_*), registered once for
	// every scheduler this process runs.
	scfg.Collectors = append(scfg.Collectors, sched.collector())
	srv, err := server.New(scfg)
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		e.errorf("%s; nothing was served", listenError(o.listen, err))
		return ExitFailed
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	}

	// SIGTERM and SIGINT are caught before "listening on" is said:
	// whoever waits for that line and then sends one must not kill the
	// process instead of draining it.
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sched.start(ctx, st.Playbooks.Scheduled())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	d.infof("listening on %s://%s (%s, %s)", scheme, l.Addr(), plural(len(st.Playbooks.All()), "playbook", "playbooks"), plural(keyCount(st.Keys), "key", "keys"))
	if tcp, ok := l.Addr().(*net.TCPAddr); ok && scheme == "http" && !tcp.IP.IsLoopback() {
		d.warnf("plain HTTP on %s, which is not loopback only: API keys and console sessions cross the network in clear; give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy", l.Addr())
	}
	if info, warn := proxyNote(o.proxies); warn != "" {
		d.warnf("%s", warn)
	} else if info != "" {
		d.infof("%s", info)
	}

	return d.serveUntilStopped(srv, sched, mgr, audit, sigs, served, stop)
}
