package cli

import (
	"context"
	"errors"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
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
