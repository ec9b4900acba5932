package cli

import (
	"context"
	"errors"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// serveScheduler is the scheduler serve runs in its own process for the
// scheduled playbooks of --playbooks: the same scheduler as `schedule`,
// launching through serve's run manager, so scheduled runs are recorded,
// reported and streamed like the API's. Scheduled runs have the built-in
// default role (operator) under serve's policy; `schedule --role` is the
// way to give them others.
func serveScheduler(mgr *runs.Manager, pbs []*steps.Playbook, stateDir string, warn func(string, ...any)) (Scheduler, error) {
	store := mgr.Service().History()
	if store == nil {
		return nil, errors.New("the scheduler needs the state dir's history")
	}
	lock, err := scheduler.LockStateDir(stateDir)
	if err != nil {
		return nil, err
	}
	launcher := scheduler.NewRunLauncher(mgr, []string{auth.DefaultRole}, nil)
	s, err := scheduler.New(scheduler.Config{Launcher: launcher, Store: store})
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	if err := s.Load(pbs); err != nil {
		lock.Unlock()
		return nil, err
	}
	return &servedScheduler{s: s, lock: lock}, nil
}

type servedScheduler struct {
	s    *scheduler.Scheduler
	lock *scheduler.StateLock
}

func (d *servedScheduler) Run(ctx context.Context) error {
	defer d.lock.Unlock()
	return d.s.Run(ctx)
}

func (d *servedScheduler) Reload(pbs []*steps.Playbook) error { return d.s.Load(pbs) }
