package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// addScheduleFlags adds the flags of serve's scheduler to fs.
func (o *serveOptions) addScheduleFlags(fs *flagSet) {
	fs.Var(&o.schedRoles, "schedule-role", "scheduled runs have role `R` (repeatable or comma-separated; default operator)")
	fs.BoolVar(&o.noSchedule, "no-schedule", false, "do not run the schedules of --playbooks")
	fs.IntVar(&o.maxAllow, "max-concurrent-runs", scheduler.DefaultMaxConcurrentRuns, "run at most `N` runs of one scheduled playbook at once under overlap: allow (as schedule's flag; --max-running bounds all runs)")
}

// scheduleFlagsProblem says what is wrong with the flags of
// addScheduleFlags, as a usage error; "" when nothing is.
func (o *serveOptions) scheduleFlagsProblem(fs *flagSet) string {
	var allowGiven bool
	fs.Visit(func(f *flag.Flag) { allowGiven = allowGiven || f.Name == "max-concurrent-runs" })
	switch {
	case o.noSchedule && len(o.schedRoles) > 0:
		// Roles for runs that will not be: one of the two is a mistake.
		return "--schedule-role gives roles to scheduled runs, and --no-schedule runs none; drop one of them"
	case o.noSchedule && allowGiven:
		return "--max-concurrent-runs bounds scheduled runs, and --no-schedule runs none; drop one of them"
	case o.maxAllow < 1:
		return fmt.Sprintf("--max-concurrent-runs must be at least 1, not %d", o.maxAllow)
	}
	return ""
}

// serveScheduler is the scheduler serve runs in its own process for the
// scheduled playbooks of --playbooks: the same scheduler as `schedule`,
// launching through serve's run manager, so scheduled runs are recorded,
// reported and streamed like the API's. Scheduled runs have roles
// (serve's --schedule-role, default operator) under serve's policy, and
// at most allow runs of a playbook under overlap: allow. On
// shutdown it waits up to grace (serve's
// --grace) for the scheduled runs still going, then cancels them.
//
// It takes the state dir's scheduler lock, and no more: the scheduler is
// built and loads the playbooks in wire, which schedules calls with
// serve's logger and metrics before it runs the scheduler. NewScheduler
// has no room for them, and the first Load already logs (the slots an
// earlier process left queued, recorded missed).
func serveScheduler(mgr *runs.Manager, pbs []*steps.Playbook, spec store.Spec, roles []string, grace time.Duration, allow int, warn func(string, ...any)) (Scheduler, error) {
	history := mgr.Service().History()
	if history == nil {
		return nil, errors.New("the scheduler needs the state dir's history")
	}
	unlock, err := lockScheduler(spec)
	if err != nil {
		return nil, err
	}
	launcher := scheduler.NewRunLauncher(mgr, roles, nil)
	cfg := scheduler.Config{Launcher: launcher, Store: history, Grace: grace, MaxConcurrentRuns: allow, LimitFrom: "--max-concurrent-runs"}
	return &servedScheduler{cfg: cfg, launcher: launcher, pbs: pbs, unlock: unlock}, nil
}

// schedWiring is what serve gives its scheduler beyond NewScheduler's
// arguments, so that the scheduler is not silent inside serve: serve's
// log, and the metrics serve's /metrics shows.
type schedWiring struct {
	log     *zerolog.Logger
	metrics *scheduler.Metrics
}

// wirer is a Scheduler that takes serve's wiring before it runs;
// serveScheduler's does. One that is not runs as it was built.
type wirer interface {
	wire(w schedWiring) error
}

// healther is a Scheduler that can tell its health, for /healthz; ok is
// false when no scheduler fires here just now (a replica that does not
// lead).
type healther interface {
	health() (h scheduler.Health, ok bool)
}

// policySetter is a Scheduler whose runs take the policy it is given, not
// the one serve started with: serve gives it the policy of each reload.
type policySetter interface {
	setPolicy(p *auth.Policy)
}

type servedScheduler struct {
	cfg      scheduler.Config // without the wiring
	launcher *scheduler.RunLauncher
	pbs      []*steps.Playbook
	unlock   func()
	s        *scheduler.Scheduler // nil until wired
}

// wire builds the scheduler with w and loads its playbooks. On an error
// it lets go of the lock: the scheduler will not run.
func (d *servedScheduler) wire(w schedWiring) error {
	cfg := d.cfg
	cfg.Logger, cfg.Metrics = w.log, w.metrics
	s, err := scheduler.New(cfg)
	if err == nil {
		err = s.Load(d.pbs)
	}
	if err != nil {
		d.unlock()
		return err
	}
	d.s = s
	return nil
}

func (d *servedScheduler) Run(ctx context.Context) error {
	if d.s == nil {
		// Not run by schedules: nothing to log to or serve metrics on.
		if err := d.wire(schedWiring{}); err != nil {
			return err
		}
	}
	defer d.unlock()
	return d.s.Run(ctx)
}

func (d *servedScheduler) Reload(pbs []*steps.Playbook) error {
	if d.s == nil {
		d.pbs = pbs
		return nil
	}
	return d.s.Load(pbs)
}

func (d *servedScheduler) setPolicy(p *auth.Policy) { d.launcher.SetPolicy(p) }

func (d *servedScheduler) health() (scheduler.Health, bool) {
	if d.s == nil {
		return scheduler.Health{}, false
	}
	return d.s.Health(), true
}

// standbyRetry is how often a serve that found the state dir's scheduler
// lock held tries to take it again.
const standbyRetry = 2 * time.Second

// schedules is serve's scheduler over the life of the daemon. It starts
// with the scheduled playbooks of start-up, or with the first reload that
// brings some. While another process holds the state dir's scheduler lock
// it stands by, trying to take the lock every standbyRetry, and takes over
// the schedules as soon as that process lets go.
type schedules struct {
	d   *daemon
	mgr *runs.Manager
	ctx context.Context
	wg  sync.WaitGroup
	// metrics are the series of every scheduler serve runs, one after
	// another (a standby that takes over, a replica each time it leads):
	// serve's /metrics registers them once, at start-up (collector).
	metrics *scheduler.Metrics

	mu      sync.Mutex
	pbs     []*steps.Playbook // the scheduled playbooks, as last loaded
	s       Scheduler         // the scheduler that runs; nil when none does
	standby bool              // waiting for the lock
	holder  int               // the pid holding it while standing by; 0 unknown
}

func (d *daemon) newSchedules(mgr *runs.Manager) *schedules {
	return &schedules{d: d, mgr: mgr, metrics: scheduler.NewMetrics()}
}

// collector is the schedulers' series (arsenal_schedule_*), for serve's
// /metrics: server.Config.Collectors, as the server registers them once,
// when it is built, before any scheduler exists.
func (sc *schedules) collector() prometheus.Collector { return sc.metrics }

// wiring is what each scheduler of serve gets: serve's log, and the
// series of collector.
func (sc *schedules) wiring() schedWiring {
	return schedWiring{log: &sc.d.log, metrics: sc.metrics}
}

// newScheduler builds a scheduler through the env's plug and wires it.
func (sc *schedules) newScheduler() (Scheduler, error) {
	d := sc.d
	s, err := d.e.newScheduler(sc.mgr, sc.pbs, d.o.spec, d.o.scheduleRoles(), d.o.grace, d.o.maxAllow, d.warnf)
	if err != nil {
		return nil, err
	}
	if ps, ok := s.(policySetter); ok {
		if st := d.rs.st.Load(); st != nil {
			ps.setPolicy(st.Policy) // the policy as last reloaded
		}
	}
	if w, ok := s.(wirer); ok {
		if err := w.wire(sc.wiring()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// start starts the scheduler for pbs, the scheduled playbooks, unless
// --no-schedule or there are none; it fires until ctx ends.
func (sc *schedules) start(ctx context.Context, pbs []*steps.Playbook) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.ctx, sc.pbs = ctx, pbs
	if sc.d.o.noSchedule || len(pbs) == 0 {
		return
	}
	sc.begin()
}

// begin starts the scheduler for sc.pbs, or stands by when another
// process holds the lock. Without a scheduler in this build, it says that
// those playbooks only run when started through the API. sc.mu is held.
func (sc *schedules) begin() {
	d := sc.d
	if d.q != nil {
		ls := &leaderScheduler{q: d.q, pg: d.pg, roles: d.o.scheduleRoles(), allow: d.o.maxAllow, log: &d.log, metrics: sc.metrics, pbs: sc.pbs, warnf: d.errorf}
		sc.s = ls
		sc.run(ls)
		return
	}
	if d.e.newScheduler == nil {
		d.warnf("%s a schedule, but this build has no scheduler: they run only when started through the API", plural(len(sc.pbs), "playbook has", "playbooks have"))
		return
	}
	s, err := sc.newScheduler()
	var held *scheduler.HeldError
	switch {
	case errors.As(err, &held):
		sc.standby, sc.holder = true, held.PID
		d.warnf("the scheduler is on standby: %s holds the state dir's scheduler lock (%s); it takes over the schedules when that one stops (trying every %s)",
			holderName(held.PID), held.Path, short.Duration(standbyRetry))
		sc.wg.Add(1)
		go sc.standBy()
	case err != nil:
		d.errorf("the scheduler did not start: %v", err)
	default:
		sc.s = s
		sc.run(s)
	}
}

// run runs s until sc.ctx ends. sc.mu is held.
func (sc *schedules) run(s Scheduler) {
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		if err := s.Run(sc.ctx); err != nil && !errors.Is(err, context.Canceled) {
			sc.d.errorf("scheduler: %v", err)
		}
	}()
}

// standBy tries to take the scheduler lock every standbyRetry until it
// does, then runs the scheduler, or until serve stops or no playbook has a
// schedule any more.
func (sc *schedules) standBy() {
	defer sc.wg.Done()
	d := sc.d
	t := time.NewTicker(standbyRetry)
	defer t.Stop()
	for {
		select {
		case <-sc.ctx.Done():
			return
		case <-t.C:
		}
		sc.mu.Lock()
		if sc.ctx.Err() != nil {
			sc.mu.Unlock()
			return
		}
		if len(sc.pbs) == 0 {
			sc.standby, sc.holder = false, 0
			sc.mu.Unlock()
			d.infof("the scheduler no longer stands by: no playbook has a schedule")
			return
		}
		s, err := sc.newScheduler()
		var held *scheduler.HeldError
		if errors.As(err, &held) {
			sc.holder = held.PID
			sc.mu.Unlock()
			continue
		}
		from := sc.holder
		sc.standby, sc.holder = false, 0
		if err != nil {
			sc.mu.Unlock()
			d.errorf("the scheduler did not start: %v", err)
			return
		}
		d.infof("taking over the schedules from %s (%s)", holderName(from), plural(len(sc.pbs), "scheduled playbook", "scheduled playbooks"))
		sc.s = s
		sc.run(s)
		sc.mu.Unlock()
		return
	}
}

func holderName(pid int) string {
	if pid > 0 {
		return "pid " + strconv.Itoa(pid)
	}
	return "another process"
}

// reload gives the scheduler the scheduled playbooks of a SIGHUP: a
// running scheduler swaps them in; one standing by takes them when it
// takes over; without one, the first scheduled playbooks start it, with
// the same lock as at start-up. A reload that leaves none keeps a running
// scheduler, idle.
func (sc *schedules) reload(pbs []*steps.Playbook, policy *auth.Policy) {
	if sc == nil || sc.d.o.noSchedule {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.ctx == nil || sc.ctx.Err() != nil {
		return
	}
	switch {
	case sc.s != nil:
		if ps, ok := sc.s.(policySetter); ok {
			ps.setPolicy(policy)
		}
		if err := sc.s.Reload(pbs); err != nil {
			sc.d.errorf("SIGHUP: the scheduler kept its playbooks: %v", err)
			return
		}
		sc.pbs = pbs
	case sc.standby:
		sc.pbs = pbs
	default:
		sc.pbs = pbs
		if len(pbs) > 0 {
			sc.d.infof("SIGHUP: starting the scheduler for %s", plural(len(pbs), "scheduled playbook", "scheduled playbooks"))
			sc.begin()
		}
	}
}

// running says whether this process fires the schedules (for
// GET /api/v1/schedules).
func (sc *schedules) running() bool {
	if sc == nil {
		return false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.s != nil
}

// health is what /healthz says of the scheduler (with a shared store,
// joined to the queue's Health by joinHealth): "running", "degraded" (it runs, but the history cannot record slots,
// scheduler_store_error, or the last reload failed and the playbooks
// before it still run, scheduler_reload_error), "stopping", "standby"
// (another process holds the lock; its pid is scheduler_holder, or, with
// a shared store, another replica leads), "off" (--no-schedule) or "none"
// (no scheduler runs: no playbook has a schedule, or it could not start).
// A degraded scheduler leaves /healthz 200, as `schedule --listen` does:
// it still fires what it can, and a 503 would take the API out of a load
// balancer, or have the process restarted, for a problem of the
// schedules.
func (sc *schedules) health(context.Context) (map[string]any, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	out := map[string]any{}
	switch {
	case sc.d.o.noSchedule:
		out["scheduler"] = "off"
	case sc.s != nil:
		out["scheduler"] = "running"
		hs, ok := sc.s.(healther)
		if !ok {
			break
		}
		h, ok := hs.health()
		if !ok {
			out["scheduler"] = "standby"
			break
		}
		switch h.Status {
		case "degraded", "stopping":
			out["scheduler"] = h.Status
		}
		if h.StoreError != nil {
			out["scheduler_store_error"] = h.StoreError
		}
		if h.ReloadError != nil {
			out["scheduler_reload_error"] = h.ReloadError
		}
	case sc.standby:
		out["scheduler"] = "standby"
		if sc.holder > 0 {
			out["scheduler_holder"] = sc.holder
		}
	default:
		out["scheduler"] = "none"
	}
	return out, nil
}

// wait waits, once the context of start has ended, for the scheduler to
// have shut down (its runs waited for up to --grace, then cancelled).
func (sc *schedules) wait() { sc.wg.Wait() }
