package cli

import (
	"context"
	"errors"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// serveScheduler is the scheduler serve runs in its own process for the
// scheduled playbooks of --playbooks: the same scheduler as `schedule`,
// launching through serve's run manager, so scheduled runs are recorded,
// reported and streamed like the API's. Scheduled runs have the built-in
// default role (operator) under serve's policy; `schedule --role` is the
// way to give them others.
func serveScheduler(mgr *runs.Manager, pbs []*steps.Playbook, spec store.Spec, warn func(string, ...any)) (Scheduler, error) {
	history := mgr.Service().History()
	if history == nil {
		return nil, errors.New("the scheduler needs the state dir's history")
	}
	unlock, err := lockScheduler(spec)
	if err != nil {
		return nil, err
	}
	launcher := scheduler.NewRunLauncher(mgr, []string{auth.DefaultRole}, nil)
	s, err := scheduler.New(scheduler.Config{Launcher: launcher, Store: history})
	if err != nil {
		unlock()
		return nil, err
	}
	if err := s.Load(pbs); err != nil {
		unlock()
		return nil, err
	}
	return &servedScheduler{s: s, unlock: unlock}, nil
}

type servedScheduler struct {
	s      *scheduler.Scheduler
	unlock func()
}

func (d *servedScheduler) Run(ctx context.Context) error {
	defer d.unlock()
	return d.s.Run(ctx)
}

func (d *servedScheduler) Reload(pbs []*steps.Playbook) error { return d.s.Load(pbs) }

// runningScheduler is a scheduler and the end of its Run.
type runningScheduler struct {
	s    Scheduler
	done chan struct{}
}

// scheduler starts the scheduler for the scheduled playbooks, unless
// --no-schedule or there are none. Without a scheduler in this build, it
// says that those playbooks only run when started through the API.
func (d *daemon) scheduler(ctx context.Context, mgr *runs.Manager, st server.State) *runningScheduler {
	pbs := st.Playbooks.Scheduled()
	if d.o.noSchedule || len(pbs) == 0 {
		return nil
	}
	if d.q != nil {
		ls := &leaderScheduler{q: d.q, pg: d.pg, log: &d.log, pbs: pbs, warnf: d.errorf}
		rs := &runningScheduler{s: ls, done: make(chan struct{})}
		go func() {
			defer close(rs.done)
			ls.Run(ctx)
		}()
		return rs
	}
	if d.e.newScheduler == nil {
		d.warnf("%s a schedule, but this build has no scheduler: they run only when started through the API", plural(len(pbs), "playbook has", "playbooks have"))
		return nil
	}
	s, err := d.e.newScheduler(mgr, pbs, d.o.spec, d.warnf)
	if err != nil {
		d.errorf("the scheduler did not start: %v", err)
		return nil
	}
	rs := &runningScheduler{s: s, done: make(chan struct{})}
	go func() {
		defer close(rs.done)
		if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			d.errorf("scheduler: %v", err)
		}
	}()
	return rs
}
